// Readers on small inline inputs: headers, bad cells, empty cells, gzip, a gzip bomb, and our own format
// checked against what we compute.
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { type Format, readAll } from "./formats.ts";
import { HeaderError } from "./readers/common.ts";
import type { ToxicityRecord } from "./record.ts";
import { GOOD } from "./_fixtures.ts";
import { TooLargeError } from "./stream.ts";

const bytes = (s: string | Uint8Array) => new Blob([s as BlobPart]).stream();
async function run(input: string | Uint8Array, format: Format, maxBytes?: number) {
  const records: ToxicityRecord[] = [];
  const s = await readAll(bytes(input), { format, maxBytes, onRecord: (r) => records.push(r) });
  return { s, records };
}
const TOX21_HEADER =
  "NR-AR,NR-AR-LBD,NR-AhR,NR-Aromatase,NR-ER,NR-ER-LBD,NR-PPAR-gamma,SR-ARE,SR-ATAD5,SR-HSE,SR-MMP,SR-p53,mol_id,smiles";

Deno.test("tox21: empty cells are not records; a bad call, a bad id and a bad structure are rejected by field", async () => {
  const csv = [
    TOX21_HEADER,
    "0,0,0,0,0,0,0,1,0,0,0,0,TOX1735,CS(C)=O",
    ",,,,,,,,,,,1,TOX5,CC(N)=O",
    "2,0,0,0,0,0,0,0,0,0,0,,TOX9,CO",
    "0,,0,0,0,0,0,0,0,0,0,0,X9,CO",
    "1,,,,,,,,,,,,TOX10,C1CC",
    "0,0,TOX11,C",
    "0,0,0,0,0,0,0,1,0,0,0,0,TOX1736,CS(C)=O",
    "0,0,0,0,0,0,0,0,0,0,0,0,TOX1737,CS(C)=O",
  ].join("\n") + "\n";
  const { s, records } = await run(csv, "tox21");
  assert.equal(s.rows, 8);
  assert.equal(s.units, 96);
  assert.deepEqual(s.buckets, {
    imported: 12 + 1 + 10 + 1,
    duplicate: 12 + 11, // TOX1736 repeats TOX1735; TOX1737 repeats 11 of its calls
    rejected: 1 + 11 + 1 + 12,
    not_a_record: 11 + 1 + 1 + 11,
  });
  assert.deepEqual(s.rejections, [
    { row: 3, field: "NR-AR", reason: "a hit call is 1, 0 or empty" },
    { row: 4, field: "mol_id", reason: "a mol_id is TOX followed by digits" },
    { row: 5, field: "smiles", reason: "RDKit cannot parse the SMILES" },
    { row: 6, field: "(row)", reason: "expected 14 fields, got 4" },
  ]);
  assert.equal(s.conflict_groups, 1, "DMSO's SR-ARE: 1 in TOX1735/TOX1736, 0 in TOX1737");
  assert.ok(records.every((r) => r.raw.value !== ""));
});

Deno.test("a file of another format, or an empty one, is refused by its header before any row is read", async () => {
  await assert.rejects(
    run("index,smiles,active\n1,C,1.0\n", "tox21"),
    (e) => e instanceof HeaderError && e.code === "WRONG_HEADER",
  );
  await assert.rejects(run(TOX21_HEADER + "\n", "ld50-zhu"), HeaderError);
  await assert.rejects(run("", "niehs-ice"), HeaderError);
  await assert.rejects(run("smiles,A-B\nC,1.0\n", "toxcast"), HeaderError);
});

Deno.test("gzip is recognised by its magic bytes; a gzip bomb stops at the byte limit", async () => {
  const csv = "index,smiles,active\n1,CS(C)=O,0.731\n2,OCCO,1.121\n";
  const { s, records } = await run(gzipSync(new TextEncoder().encode(csv)), "ld50-zhu");
  assert.deepEqual(s.buckets, { imported: 2, duplicate: 0, rejected: 0, not_a_record: 0 });
  assert.equal(records[1].raw.value, "1.121");
  const bomb = gzipSync(new Uint8Array(50_000_000)); // 50 MB of zeros in ≈ 50 kB
  await assert.rejects(run(bomb, "ld50-zhu", 1_000_000), TooLargeError);
});

Deno.test("ld50-zhu: a non-numeric value and a wrong field count are rejected, never converted", async () => {
  const { s } = await run("index,smiles,active\n1,CO,abc\n2,CO\n3,CO,0.755\n", "ld50-zhu");
  assert.deepEqual(s.buckets, { imported: 1, duplicate: 0, rejected: 2, not_a_record: 0 });
  assert.deepEqual(s.rejections.map((r) => r.field), ["active", "(row)"]);
});

const ICE_HEADER =
  "Data Name,Data Type,Data Version,Record ID,Mixture,Chemical Name,CASRN,DTXSID,Formulation ID,Formulation Name,Percent Active Ingredient,Species,Sex,Assay,Endpoint,Response Modifier,Response,Response Unit,Reference,URL";
const ice = (o: Partial<Record<string, string>>) => {
  const d: Record<string, string> = {
    "Data Name": "Acute Oral Toxicity",
    "Data Type": "In Vivo",
    "Data Version": "V1.0",
    "Record ID": "AcuteOralToxicity_1",
    Mixture: "Chemical",
    "Chemical Name": "Glycerol",
    CASRN: "56-81-5",
    DTXSID: "DTXSID9020663",
    Species: "Rat",
    Assay: "Rat Acute Oral Toxicity",
    Endpoint: "LD50",
    Response: "12600",
    "Response Unit": "mg/kg",
    ...o,
  };
  return ICE_HEADER.split(",").map((h) => JSON.stringify(d[h] ?? "")).join(",");
};

Deno.test("niehs-ice: unknown unit by name, qualifier outside the set, bad CAS, category out of range", async () => {
  const csv = [
    ICE_HEADER,
    ice({}),
    ice({ "Response Unit": "mg/kg-day" }),
    ice({ "Response Modifier": "≈" }),
    ice({ CASRN: "56-81-6" }),
    ice({ Endpoint: "GHS classification", Response: "7", "Response Unit": "Unitless" }),
    ice({
      Mixture: "Mixture",
      "Formulation Name": "Product X",
      "Percent Active Ingredient": "7.5",
      "Response Modifier": ">",
    }),
  ].join("\n");
  const { s, records } = await run(csv, "niehs-ice");
  assert.deepEqual(s.buckets, { imported: 2, duplicate: 0, rejected: 4, not_a_record: 0 });
  assert.deepEqual(s.rejections.map((r) => [r.field, r.reason]), [
    ["Response Unit", 'unknown unit "mg/kg-day"'],
    ["Response Modifier", "a qualifier is blank or one of = < <= > >= ~"],
    ["CASRN", "not a CAS registry number, or its check digit is wrong"],
    ["Response", "a GHS classification is an integer from 1 to 5"],
  ]);
  const f = records[1];
  assert.equal(f.substance.kind, "formulation");
  assert.equal(f.substance.kind === "formulation" && f.substance.percent_active_ingredient, "7.5");
  assert.deepEqual([f.raw.qualifier, f.normalized.qualifier], [">", ">"]);
});

Deno.test("cryoprotect: a record round-trips; claims that disagree with the computation are rejected", async () => {
  const line = (o: unknown) => JSON.stringify(o);
  const nd = [
    line(GOOD),
    "",
    "{not json",
    line({ ...GOOD, substance: { ...GOOD.substance, inchikey: "PEDCQBHIVMGVHV-UHFFFAOYSA-N" } }),
    line({ ...GOOD, normalized: { ...GOOD.normalized, value: 145000 } }),
    line({ ...GOOD, raw: { ...GOOD.raw, unit: "stone/kg" } }),
    line({ ...GOOD, source_row: 2 }),
  ].join("\n");
  const { s, records } = await run(nd, "cryoprotect");
  assert.deepEqual(s.buckets, { imported: 1, duplicate: 1, rejected: 4, not_a_record: 0 });
  assert.deepEqual(s.rejections.map((r) => [r.row, r.field]), [
    [3, "(line)"],
    [4, "substance.inchikey"],
    [5, "normalized.value"],
    [6, "raw.unit"],
  ]);
  assert.deepEqual(records[0], GOOD);
});

Deno.test("cryoprotect: the readers' own records are valid cryoprotect lines", async () => {
  const { records } = await run("index,smiles,active\n1,CS(C)=O,0.731\n", "ld50-zhu");
  const again = await run(records.map((r) => JSON.stringify(r)).join("\n"), "cryoprotect");
  assert.deepEqual(again.s.buckets, { imported: 1, duplicate: 0, rejected: 0, not_a_record: 0 });
  assert.deepEqual(again.records, records);
});
