// TDC LD50_Zhu (pyrosage copy): `index,smiles,active`, where `active` is a rat acute oral LD50 in
// log10(1/(mol/kg)) (the unit is the data set's, from its documentation; the file states none). No names or
// ids: records are matched by structure only. Normalized to mg/kg through the RDKit-computed MW; the raw
// value is kept exactly as written (float noise such as "0.8640000000000001" included).
import { z } from "zod";
import { normalize } from "../units.ts";
import { type CsvReader, firstIssue, structureOf, structureSubstance, takeHeader } from "./common.ts";

export const LD50_ZHU_UNIT = "log10(1/(mol/kg))";
export const LD50_ZHU_CITATION = "Zhu H, et al. Quantitative Structure-Activity Relationship Modeling of Rat Acute " +
  "Toxicity by Oral Exposure. Chem. Res. Toxicol. 2009, doi:10.1021/tx900189p (TDC LD50_Zhu)";
const FIELDS = ["index", "smiles", "active"] as const;
const Row = z.tuple([
  z.string().regex(/^[1-9]\d*$/, "index is a positive integer"),
  z.string().min(1, "empty SMILES").max(5000),
  z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, "not a number"),
]);

export const readLd50Zhu: CsvReader = async function* (rows, ctx) {
  const it = rows[Symbol.asyncIterator]();
  await takeHeader(it, "ld50-zhu", (h) => h.join(",") === FIELDS.join(","), FIELDS.join(","));
  let row = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    row++;
    const p = Row.safeParse(r.value);
    if (!p.success) {
      const reason = r.value.length !== 3 ? `expected 3 fields, got ${r.value.length}` : firstIssue(p.error).reason;
      yield {
        kind: "rejected",
        row,
        field: r.value.length !== 3 ? "(row)" : firstIssue(p.error, FIELDS).field,
        reason,
      };
      continue;
    }
    const [, smiles, active] = p.data;
    const s = structureOf(ctx, smiles);
    if ("reason" in s) {
      yield { kind: "rejected", row, field: "smiles", reason: s.reason };
      continue;
    }
    const n = normalize("LD50", Number(active), LD50_ZHU_UNIT, s.structure.molecular_weight);
    yield {
      kind: "record",
      record: {
        source: "ld50-zhu",
        source_record_id: null,
        source_row: row,
        substance: structureSubstance(smiles, s.structure),
        assay: null,
        endpoint: "acute oral toxicity",
        value_type: "LD50",
        raw: { qualifier: null, value: active, unit: LD50_ZHU_UNIT },
        normalized: { qualifier: "=", ...n },
        // The data set is rat acute oral LD50s by definition (Zhu 2009): stated by the source, not assumed.
        species: "rat",
        route: "oral",
        duration: null,
        sex: null,
        citation: LD50_ZHU_CITATION,
        url: null,
      },
    };
  }
};
