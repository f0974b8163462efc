// The four real public files (../shared/data/toxicity, see its PROVENANCE.md), read end to end: every
// bucket counted exactly, and values checked against the lines PROVENANCE.md quotes from the files.
// Skipped, saying so, when the folder is absent.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Format, readAll } from "./formats.ts";
import type { ToxicityRecord } from "./record.ts";
import { needsData, TOXICITY_DATA } from "./_testdata.ts";
import { csvRecords, decompressed } from "./stream.ts";

const ignore = needsData();

async function read(file: string, format: Format, keep: (r: ToxicityRecord) => boolean = () => false) {
  const kept: ToxicityRecord[] = [];
  const f = await Deno.open(join(TOXICITY_DATA!, file));
  const summary = await readAll(f.readable, { format, onRecord: (r) => keep(r) && kept.push(r) });
  return { summary, kept };
}

const smilesOf = (r: ToxicityRecord) => r.substance.kind === "structure" ? r.substance.smiles : null;

Deno.test({ name: "tox21.csv.gz: 8,014 rows × 12 assays, every cell in one bucket", ignore }, async () => {
  const alh3 = ["TOX31563", "TOX24724", "TOX24723", "TOX24552", "TOX24622", "TOX7518", "TOX28892", "TOX28623"];
  const { summary: s, kept } = await read(
    "tox21.csv.gz",
    "tox21",
    (r) =>
      ["CS(C)=O", "OCC(O)CO", "CC(O)(P(=O)(O)O)P(=O)(O)O"].includes(smilesOf(r)!) ||
      r.substance.kind === "structure" && r.substance.components > 1,
  );
  assert.equal(s.rows, 8014);
  assert.equal(s.units, 8014 * 12);
  // empty cells: 575+1112+1323+2074+1698+902+1431+2079+782+1420+2094+1105 = 16,595 (PROVENANCE's per-assay counts)
  assert.deepEqual(s.buckets, { imported: 77907, duplicate: 1584, rejected: 82, not_a_record: 16595 });
  assert.equal(s.structures, 7831, "7,831 distinct SMILES strings computed once each");
  // the 8 [AlH3] rows: their 82 non-empty calls rejected, with the row, the field and RDKit's refusal
  assert.equal(s.rejected_rows, 8);
  assert.deepEqual(s.rejection_reasons, { "RDKit cannot parse the SMILES": 82 });
  assert.deepEqual(s.rejections.map((r) => r.row), [1331, 2309, 2316, 3600, 4633, 4717, 5628, 6860]);
  assert.ok(s.rejections.every((r) => r.field === "smiles"));
  const lines: string[][] = [];
  for await (const rec of csvRecords(decompressed((await Deno.open(join(TOXICITY_DATA!, "tox21.csv.gz"))).readable))) {
    lines.push(rec);
  }
  const rejectedRows = s.rejections.map((r) => lines[r.row]); // lines[0] is the header: data row n is lines[n]
  assert.deepEqual(rejectedRows.map((c) => c[12]).sort(), [...alh3].sort());
  assert.ok(rejectedRows.every((c) => c[13].includes("[AlH3]")));
  // conflicting duplicates: PROVENANCE counts 47 SMILES strings with opposite calls; by InChIKey there are 48
  // substances (two SMILES strings of one InChIKey), in 65 (substance, assay) groups. All stay records.
  assert.equal(s.conflicting_substances, 48);
  assert.equal(s.conflict_groups, 65);
  const etidronic = kept.filter((r) => smilesOf(r) === "CC(O)(P(=O)(O)O)P(=O)(O)O");
  assert.deepEqual([...new Set(etidronic.map((r) => r.source_record_id))].sort(), ["TOX20800", "TOX3028"]);
  // DMSO (TOX1735): SR-ARE = 1, the other 11 calls 0
  const dmso = kept.filter((r) => smilesOf(r) === "CS(C)=O");
  assert.equal(dmso.length, 12);
  assert.ok(dmso.every((r) => r.source_record_id === "TOX1735" && r.value_type === "hit_call"));
  assert.deepEqual(dmso.filter((r) => r.normalized.value === 1).map((r) => r.assay), ["SR-ARE"]);
  assert.deepEqual(dmso.find((r) => r.assay === "SR-ARE")!.raw, { qualifier: null, value: "1", unit: null });
  assert.equal(dmso[0].substance.kind === "structure" && dmso[0].substance.inchikey, "IAZDPXIOMUYVGZ-UHFFFAOYSA-N");
  assert.deepEqual(kept.filter((r) => smilesOf(r) === "OCC(O)CO").map((r) => r.normalized.value), Array(12).fill(0));
  // multi-component SMILES are records of the whole structure (salt, hydrate, complex), never of a parent
  const multi = new Set(
    kept.filter((r) => r.substance.kind === "structure" && r.substance.components > 1).map(smilesOf),
  );
  // PROVENANCE: 246 rows with a "." SMILES; one of them (TOX28892) is an [AlH3] row, rejected: 245 rows, 244 strings
  assert.equal(multi.size, 244);
  const multiRows = new Set(
    kept.filter((r) => r.substance.kind === "structure" && r.substance.components > 1).map((r) => r.source_row),
  );
  assert.equal(multiRows.size, 245);
  for (const r of kept) {
    if (r.substance.kind === "structure" && r.substance.components > 1) {
      assert.match(r.substance.canonical_smiles, /\./);
    }
  }
});

Deno.test(
  { name: "LD50_Zhu.csv: 7,385 LD50s in log10(1/(mol/kg)), normalized to mg/kg through the MW", ignore },
  async () => {
    const cpas = ["CS(C)=O", "OCC(O)CO", "OCCO", "CC(O)CO", "NC=O", "CC(N)=O", "C=C(C)C=NOC(=O)NC"];
    const { summary: s, kept } = await read("LD50_Zhu.csv", "ld50-zhu", (r) => cpas.includes(smilesOf(r)!));
    assert.equal(s.rows, 7385);
    assert.deepEqual(s.buckets, { imported: 7376, duplicate: 9, rejected: 0, not_a_record: 0 });
    assert.equal(s.structures, 7342, "7,342 distinct SMILES");
    // 37 repeated SMILES: 30 disagree (PROVENANCE), kept as distinct records in conflict; 7 agree (9 duplicate rows)
    assert.equal(s.conflict_groups, 30);
    const by = (smi: string) => kept.filter((r) => smilesOf(r) === smi);
    const [dmso] = by("CS(C)=O");
    assert.deepEqual(dmso.raw, { qualifier: null, value: "0.731", unit: "log10(1/(mol/kg))" });
    assert.equal(dmso.source_row, 2760);
    // 10^-0.731 × 78.136 g/mol × 1000 = 14,516.1 mg/kg (PROVENANCE: 14,515 with MW 78.13)
    assert.equal(dmso.normalized.value, 10 ** -0.731 * 78.136 * 1000);
    assert.equal(Math.round(dmso.normalized.value), 14516);
    assert.equal(dmso.normalized.unit, "mg/kg");
    assert.equal(dmso.normalized.conversion, "log10(1/(mol/kg)) → mg/kg: 10^-x × MW × 1000, MW 78.136 g/mol");
    assert.equal(dmso.species, "rat");
    assert.equal(dmso.route, "oral");
    assert.equal(dmso.sex, null);
    // the raw value kept exactly as written, float noise included
    assert.equal(by("OCC(O)CO")[0].raw.value, "0.8640000000000001");
    // PROVENANCE (MW to 2 decimals): 12,595 / 4,698 / 20,014 / 5,567 / 7,004; RDKit MW to 3 decimals moves two by 1 mg/kg
    const mg = (smi: string) => Math.round(by(smi)[0].normalized.value);
    assert.deepEqual([mg("OCC(O)CO"), mg("OCCO"), mg("CC(O)CO"), mg("NC=O"), mg("CC(N)=O")], [
      12596,
      4698,
      20015,
      5567,
      7004,
    ]);
    assert.deepEqual(by("C=C(C)C=NOC(=O)NC").map((r) => r.raw.value).sort(), ["2.977", "3.255"]);
  },
);

Deno.test(
  { name: "Acute_Oral_Toxicity.Data.csv (NIEHS ICE): qualifiers, references, formulations", ignore },
  async () => {
    const cas = ["67-68-5", "56-81-5", "107-21-1", "64-17-5", "60-35-5"];
    const { summary: s, kept } = await read("Acute_Oral_Toxicity.Data.csv", "niehs-ice", (r) => {
      const id = r.substance.kind === "chemical"
        ? r.substance.identifiers
        : r.substance.kind === "formulation"
        ? r.substance.active_ingredient
        : null;
      return cas.includes(id?.cas ?? "");
    });
    assert.equal(s.rows, 16167);
    assert.deepEqual(s.buckets, { imported: 16138, duplicate: 29, rejected: 0, not_a_record: 0 });
    assert.deepEqual(s.imported_by_value_type, { LD50: 12958, GHS_category: 1600, EPA_category: 1580 });
    // the 29 duplicates are all formulation class rows (1,611 − 1,600 GHS, 1,598 − 1,580 EPA), repeating
    // another Record ID's formulation, sex, class and reference
    assert.equal(s.conflict_groups, 1340);
    assert.equal(s.conflicting_substances, 1234);
    const chem = (c: string) =>
      kept.filter((r) => r.substance.kind === "chemical" && r.substance.identifiers.cas === c);
    const pretty = (r: ToxicityRecord) =>
      `${r.raw.qualifier ?? ""}${r.raw.value} ${r.sex ?? "-"} ${r.citation ?? "(no reference)"}`;
    // DMSO: 14,500 (HSDB) and 28,300 (ECHA), mg/kg as given
    assert.deepEqual(chem("67-68-5").map(pretty), [
      "14500 - NLM Hazardous Substances Data Bank (undated)",
      "28300 - ECHA ChemProp (undated)",
    ]);
    assert.ok(chem("67-68-5").every((r) => r.normalized.unit === "mg/kg" && r.normalized.conversion === "as given"));
    // glycerol: 9 rows, two qualified (> 18,315 and < 21,980) without a reference
    const gly = chem("56-81-5");
    assert.equal(gly.length, 9);
    const q = gly.filter((r) => r.raw.qualifier !== null).map((
      r,
    ) => [r.raw.qualifier, r.raw.value, r.normalized.qualifier, r.normalized.value, r.citation]);
    assert.deepEqual(q.sort(), [["<", "21980", "<", 21980, null], [">", "18315", ">", 18315, null]]);
    assert.deepEqual(gly.filter((r) => r.sex).map((r) => `${r.raw.value} ${r.sex}`).sort(), [
      "27200 female",
      "27500 male",
    ]);
    assert.deepEqual(gly.map((r) => r.normalized.value).sort((x, y) => x - y), [
      5570,
      12600,
      15890,
      18315,
      21980,
      25000,
      27200,
      27500,
      27650,
    ]);
    assert.equal(chem("107-21-1").length, 23);
    assert.equal(chem("60-35-5").length, 0, "acetamide is not in the file");
    // ethanol: 16 chemical rows; the 3 "Cavicide 1" mixture rows are the formulation's, not ethanol's
    assert.equal(chem("64-17-5").length, 16);
    const cavicide = kept.filter((r) =>
      r.substance.kind === "formulation" && r.substance.active_ingredient.cas === "64-17-5"
    );
    assert.deepEqual(
      cavicide.map((r) => `${r.value_type} ${r.raw.qualifier ?? ""}${r.raw.value} ${r.raw.unit}`).sort(),
      [
        "EPA_category 4 Unitless",
        "GHS_category 5 Unitless",
        "LD50 >5000 mg/kg",
      ],
    );
    assert.ok(cavicide.every((r) => r.substance.kind === "formulation" && /Cavicide 1/.test(r.substance.name ?? "")));
  },
);

Deno.test({ name: "toxcast.csv.gz: 8,576 rows × 617 assays, 70 % empty cells not records", ignore }, async () => {
  const { summary: s, kept } = await read(
    "toxcast.csv.gz",
    "toxcast",
    (r) => ["CS(C)=O", "OCC(O)CO"].includes(smilesOf(r)!),
  );
  assert.equal(s.rows, 8576);
  assert.equal(s.units, 8576 * 617);
  // PROVENANCE: 126,651 cells "1.0" + 1,407,009 "0.0" imported; 3,757,732 empty
  assert.deepEqual(s.buckets, { imported: 126651 + 1407009, duplicate: 0, rejected: 0, not_a_record: 3757732 });
  assert.equal(s.conflict_groups, 0);
  const active = (smi: string) =>
    kept.filter((r) => smilesOf(r) === smi && r.normalized.value === 1).map((r) => r.assay);
  assert.equal(kept.filter((r) => smilesOf(r) === "CS(C)=O").length, 268);
  assert.deepEqual(active("CS(C)=O"), ["ATG_Ahr_CIS_up", "NVS_ADME_hCYP19A1"]);
  assert.equal(kept.filter((r) => smilesOf(r) === "OCC(O)CO").length, 431);
  assert.equal(active("OCC(O)CO").length, 11);
  assert.deepEqual(kept.find((r) => r.assay === "ATG_Ahr_CIS_up" && smilesOf(r) === "CS(C)=O")!.raw, {
    qualifier: null,
    value: "1.0",
    unit: null,
  });
});
