// Our own `cryoprotect` format: NDJSON, one ToxicityRecord (record.ts) a line; blank lines are skipped (and
// counted as nothing). A line is checked by the schema, then against what we compute ourselves: the
// structure's identifiers from its SMILES, and the normalized value from the raw one. A record whose claims
// disagree with the computation is rejected, never silently corrected.
import { ToxicityRecord } from "../record.ts";
import { isFailure } from "../structures.ts";
import { normalize } from "../units.ts";
import { firstIssue, type Outcome, type ReaderContext } from "./common.ts";

const REL = 1e-9;

export async function* readCryoprotect(lines: AsyncIterable<string>, ctx: ReaderContext): AsyncGenerator<Outcome> {
  let row = 0;
  for await (const line of lines) {
    row++;
    if (!line.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      yield { kind: "rejected", row, field: "(line)", reason: "not JSON" };
      continue;
    }
    const p = ToxicityRecord.safeParse(json);
    if (!p.success) {
      yield { kind: "rejected", row, ...firstIssue(p.error) };
      continue;
    }
    yield verifyRecord(p.data, row, ctx);
  }
}

/**
 * A parsed record checked against what we compute ourselves: the structure's identifiers from its SMILES
 * (canonical SMILES, InChI, InChIKey, components, MW ± 0.01), an LD50/AC50's normalized value from the raw
 * one, the normalized qualifier from the raw one. Returns the record, or a rejection naming the field. Used
 * by this reader and by the function's import routes (nothing a client states about identity is trusted).
 */
export function verifyRecord(rec: ToxicityRecord, row: number, ctx: ReaderContext): Outcome {
  const sub = rec.substance;
  let mw: number | undefined;
  if (sub.kind === "structure") {
    const s = ctx.structure(sub.smiles);
    if (isFailure(s)) {
      return { kind: "rejected", row, field: "substance.smiles", reason: s.error };
    }
    const bad = (["canonical_smiles", "inchi", "inchikey", "components"] as const).find((k) => s[k] !== sub[k]) ??
      (Math.abs(s.molecular_weight - sub.molecular_weight) > 0.01 ? "molecular_weight" : undefined);
    if (bad) {
      return {
        kind: "rejected",
        row,
        field: `substance.${bad}`,
        reason: `disagrees with the SMILES: computed ${s[bad]}`,
      };
    }
    mw = s.molecular_weight;
  }
  if (rec.value_type === "LD50" || rec.value_type === "AC50") {
    const raw = Number(rec.raw.value);
    let n;
    try {
      n = Number.isFinite(raw) ? normalize(rec.value_type, raw, rec.raw.unit, mw) : null;
    } catch (e) {
      return { kind: "rejected", row, field: "raw.unit", reason: (e as Error).message };
    }
    if (!n) {
      return { kind: "rejected", row, field: "raw.value", reason: "not a number" };
    }
    if (Math.abs(n.value - rec.normalized.value) > REL * Math.abs(n.value)) {
      return {
        kind: "rejected",
        row,
        field: "normalized.value",
        reason: `disagrees with the raw value: computed ${n.value}`,
      };
    }
  }
  if (rec.value_type !== "LD50" && rec.value_type !== "AC50" && Number(rec.raw.value) !== rec.normalized.value) {
    return { kind: "rejected", row, field: "normalized.value", reason: "differs from the raw value" };
  }
  if (rec.normalized.qualifier !== (rec.raw.qualifier || "=")) {
    return { kind: "rejected", row, field: "normalized.qualifier", reason: "differs from the raw qualifier" };
  }
  return { kind: "record", record: rec };
}
