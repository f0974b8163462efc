// Tox21 (DeepChem/MoleculeNet tox21.csv.gz): 12 assay columns of hit calls, then mol_id and smiles. One row
// is up to 12 records; an empty cell is "not a record" (not tested / no call), never a 0.
import { z } from "zod";
import {
  type CsvReader,
  firstIssue,
  hitCallValue,
  type Outcome,
  structureOf,
  structureSubstance,
  takeHeader,
} from "./common.ts";

export const TOX21_ASSAYS = [
  "NR-AR",
  "NR-AR-LBD",
  "NR-AhR",
  "NR-Aromatase",
  "NR-ER",
  "NR-ER-LBD",
  "NR-PPAR-gamma",
  "SR-ARE",
  "SR-ATAD5",
  "SR-HSE",
  "SR-MMP",
  "SR-p53",
] as const;
const HEADER = [...TOX21_ASSAYS, "mol_id", "smiles"];

export const TOX21_CITATION =
  "Huang R, Xia M, Nguyen D-T, et al. Tox21Challenge to Build Predictive Models of Nuclear " +
  "Receptor and Stress Response Pathways as Mediated by Exposure to Environmental Chemicals and Drugs. Front. Environ. " +
  "Sci. 3:85 (2016), doi:10.3389/fenvs.2015.00085 (DeepChem/MoleculeNet tox21.csv.gz)";
const URL = "https://tripod.nih.gov/tox21/challenge/data.jsp";

const Call = z.enum(["", "0", "1"], { error: "a hit call is 1, 0 or empty" });
const Ids = z.tuple([
  z.string().regex(/^TOX\d+$/, "a mol_id is TOX followed by digits"),
  z.string().min(1, "empty SMILES").max(5000),
]);

export const readTox21: CsvReader = async function* (rows, ctx) {
  const it = rows[Symbol.asyncIterator]();
  await takeHeader(it, "tox21", (h) => h.join(",") === HEADER.join(","), HEADER.join(","));
  let row = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const cells = r.value;
    row++;
    const assayCells = TOX21_ASSAYS.map((_, i) => cells[i] ?? "");
    // A row-level fault rejects every call of the row; its empty cells remain "not a record".
    const rejectRow = function* (field: string, reason: string): Generator<Outcome> {
      for (let i = 0; i < TOX21_ASSAYS.length; i++) {
        if (cells.length === HEADER.length && assayCells[i] === "") {
          yield { kind: "not_a_record", row, field: TOX21_ASSAYS[i] };
        } else yield { kind: "rejected", row, field, reason };
      }
    };
    if (cells.length !== HEADER.length) {
      yield* rejectRow("(row)", `expected ${HEADER.length} fields, got ${cells.length}`);
      continue;
    }
    const ids = Ids.safeParse(cells.slice(12));
    if (!ids.success) {
      yield* rejectRow(firstIssue(ids.error, ["mol_id", "smiles"]).field, firstIssue(ids.error).reason);
      continue;
    }
    const [molId, smiles] = ids.data;
    const s = structureOf(ctx, smiles);
    if ("reason" in s) {
      yield* rejectRow("smiles", s.reason);
      continue;
    }
    const substance = structureSubstance(smiles, s.structure);
    for (let i = 0; i < TOX21_ASSAYS.length; i++) {
      const assay = TOX21_ASSAYS[i];
      const c = Call.safeParse(assayCells[i]);
      if (!c.success) {
        yield { kind: "rejected", row, field: assay, reason: c.error.issues[0].message };
      } else if (c.data === "") {
        yield { kind: "not_a_record", row, field: assay };
      } else {
        yield {
          kind: "record",
          record: {
            source: "tox21",
            source_record_id: molId,
            source_row: row,
            substance,
            assay,
            endpoint: assay.startsWith("NR-") ? "nuclear receptor activity" : "stress response",
            value_type: "hit_call",
            raw: { qualifier: null, value: c.data, unit: null },
            normalized: hitCallValue(c.data),
            species: null,
            route: null,
            duration: null,
            sex: null,
            citation: TOX21_CITATION,
            url: URL,
          },
        };
      }
    }
  }
};
