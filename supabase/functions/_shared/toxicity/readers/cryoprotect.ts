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
    const rec = p.data;
    const sub = rec.substance;
    let mw: number | undefined;
    if (sub.kind === "structure") {
      const s = ctx.structure(sub.smiles);
      if (isFailure(s)) {
        yield { kind: "rejected", row, field: "substance.smiles", reason: s.error };
        continue;
      }
      const bad = (["canonical_smiles", "inchi", "inchikey", "components"] as const).find((k) => s[k] !== sub[k]) ??
        (Math.abs(s.molecular_weight - sub.molecular_weight) > 0.01 ? "molecular_weight" : undefined);
      if (bad) {
        yield {
          kind: "rejected",
          row,
          field: `substance.${bad}`,
          reason: `disagrees with the SMILES: computed ${s[bad]}`,
        };
        continue;
      }
      mw = s.molecular_weight;
    }
    if (rec.value_type === "LD50" || rec.value_type === "AC50") {
      const raw = Number(rec.raw.value);
      let n;
      try {
        n = Number.isFinite(raw) ? normalize(rec.value_type, raw, rec.raw.unit, mw) : null;
      } catch (e) {
        yield { kind: "rejected", row, field: "raw.unit", reason: (e as Error).message };
        continue;
      }
      if (!n) {
        yield { kind: "rejected", row, field: "raw.value", reason: "not a number" };
        continue;
      }
      if (Math.abs(n.value - rec.normalized.value) > REL * Math.abs(n.value)) {
        yield {
          kind: "rejected",
          row,
          field: "normalized.value",
          reason: `disagrees with the raw value: computed ${n.value}`,
        };
        continue;
      }
    }
    if (rec.normalized.qualifier !== (rec.raw.qualifier || "=")) {
      yield { kind: "rejected", row, field: "normalized.qualifier", reason: "differs from the raw qualifier" };
      continue;
    }
    yield { kind: "record", record: rec };
  }
}
