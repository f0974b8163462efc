// ToxCast (MoleculeNet toxcast.csv.gz): `smiles`, then 617 assay endpoint columns of hit calls written as
// floats ("1.0" / "0.0"). Assays are rows of our data, not columns: one input row is up to 617 records, and
// an empty cell (70 % of them) is "not a record".
import { z } from "zod";
import { type CsvReader, hitCallValue, type Outcome, structureOf, structureSubstance, takeHeader } from "./common.ts";

export const TOXCAST_CITATION = "US EPA ToxCast (invitrodb, version not stated), as the MoleculeNet ToxCast task set " +
  "(Wu Z. et al., MoleculeNet, Chem. Sci. 2018), chemprop/chemprop@b83635bc data/toxcast.csv.gz";

const Call = z.enum(["", "0.0", "1.0"], { error: "a ToxCast hit call is 1.0, 0.0 or empty" });
const Header = z.tuple([z.literal("smiles")], z.string().regex(/^[A-Za-z0-9_.]+$/)).refine(
  (h) => h.length > 1 && new Set(h).size === h.length,
  "assay names are unique",
);

export const readToxcast: CsvReader = async function* (rows, ctx) {
  const it = rows[Symbol.asyncIterator]();
  const header = await takeHeader(
    it,
    "toxcast",
    (h) => Header.safeParse(h).success,
    "smiles,<assay endpoint name>,… (names of letters, digits, _ and .)",
  );
  const assays = header.slice(1);
  let row = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const cells = r.value;
    row++;
    const rejectRow = function* (field: string, reason: string): Generator<Outcome> {
      for (let i = 0; i < assays.length; i++) {
        if (cells.length === header.length && cells[i + 1] === "") {
          yield { kind: "not_a_record", row, field: assays[i] };
        } else yield { kind: "rejected", row, field, reason };
      }
    };
    if (cells.length !== header.length) {
      yield* rejectRow("(row)", `expected ${header.length} fields, got ${cells.length}`);
      continue;
    }
    const smiles = cells[0];
    if (!smiles) {
      yield* rejectRow("smiles", "empty SMILES");
      continue;
    }
    const s = structureOf(ctx, smiles);
    if ("reason" in s) {
      yield* rejectRow("smiles", s.reason);
      continue;
    }
    const substance = structureSubstance(smiles, s.structure);
    for (let i = 0; i < assays.length; i++) {
      const raw = cells[i + 1];
      if (raw === "") {
        yield { kind: "not_a_record", row, field: assays[i] };
        continue;
      }
      const c = Call.safeParse(raw);
      if (!c.success) {
        yield { kind: "rejected", row, field: assays[i], reason: c.error.issues[0].message };
        continue;
      }
      yield {
        kind: "record",
        record: {
          source: "toxcast",
          source_record_id: null,
          source_row: row,
          substance,
          assay: assays[i],
          endpoint: "bioactivity",
          value_type: "hit_call",
          raw: { qualifier: null, value: raw, unit: null },
          normalized: hitCallValue(raw),
          species: null,
          route: null,
          duration: null,
          sex: null,
          citation: TOXCAST_CITATION,
          url: null,
        },
      };
    }
  }
};
