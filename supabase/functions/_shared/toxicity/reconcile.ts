// Reconciliation within one import: every unit a reader emits lands in exactly one bucket, and records that
// say the same thing twice are told apart from records that disagree.
//
// - duplicate: same substance, same context (assay, endpoint, value type, species, route, sex, duration) and
//   same value (raw qualifier, value, unit) and citation as an earlier record of the import: not imported.
// - conflict: same substance and context, a different (qualifier, value, unit): both stay records, and the
//   group is reported as in conflict (tox21 lists one compound under several mol_ids with opposite calls).
import type { Outcome } from "./readers/common.ts";
import type { ToxicityRecord } from "./record.ts";

export interface Rejection {
  row: number;
  field: string;
  reason: string;
}

export interface Buckets {
  imported: number;
  duplicate: number;
  rejected: number;
  not_a_record: number;
}

export interface ReconcileSummary {
  /** Units read (rows, or matrix cells): the sum of the buckets. */
  units: number;
  buckets: Buckets;
  /** Distinct data rows with at least one rejected unit. */
  rejected_rows: number;
  /** Every distinct (row, field, reason), in file order, up to `maxRejections`. */
  rejections: Rejection[];
  /** How many rejections each reason accounts for. */
  rejection_reasons: Record<string, number>;
  /** Groups of imported records with the same substance and context and differing values. */
  conflict_groups: number;
  /** Distinct substances with at least one conflict group. */
  conflicting_substances: number;
  /** Imported records per value type. */
  imported_by_value_type: Record<string, number>;
}

/** A stable key of what a record is about; structures by InChIKey, chemicals and formulations by identifiers. */
export function substanceKey(r: ToxicityRecord): string {
  const s = r.substance;
  switch (s.kind) {
    case "structure":
      return `inchikey:${s.inchikey}`;
    case "chemical":
      return `chemical:${s.identifiers.cas ?? ""}|${s.identifiers.dtxsid ?? ""}|${
        s.identifiers.cas || s.identifiers.dtxsid ? "" : s.identifiers.name
      }`;
    case "formulation":
      return `formulation:${s.formulation_id ?? ""}|${s.name ?? ""}|${s.percent_active_ingredient ?? ""}|${
        s.active_ingredient.cas ?? ""
      }|${s.active_ingredient.dtxsid ?? ""}|${s.active_ingredient.name ?? ""}`;
  }
}

export const contextKey = (r: ToxicityRecord): string =>
  `${r.assay ?? ""}|${r.endpoint}|${r.value_type}|${r.species ?? ""}|${r.route ?? ""}|${r.sex ?? ""}|${
    r.duration ?? ""
  }`;
export const valueKey = (r: ToxicityRecord): string => `${r.raw.qualifier ?? ""}|${r.raw.value}|${r.raw.unit ?? ""}`;

/** Accumulates outcomes; `accept` says whether a record is to be imported (false: a duplicate). */
export class Reconciler {
  private b: Buckets = { imported: 0, duplicate: 0, rejected: 0, not_a_record: 0 };
  private rejections: Rejection[] = [];
  private lastRejection = "";
  private rejectedRows = new Set<number>();
  private reasons: Record<string, number> = {};
  private byType: Record<string, number> = {};
  // substance → context id → what was seen. Context strings and citations are interned to small integers,
  // and a context seen once holds one short string ("<value key>\u0000<citation id>"), upgraded to a map of
  // value key → citation ids only when a second record arrives: toxcast's 1.5M records stay small.
  private seen = new Map<string, Map<number, string | Map<string, Set<number>>>>();
  private contextIds = new Map<string, number>();
  private citationIds = new Map<string, number>();

  private intern(m: Map<string, number>, k: string): number {
    let id = m.get(k);
    if (id === undefined) m.set(k, id = m.size);
    return id;
  }

  /** The entry of a record's substance and context: how many distinct values it holds. */
  private values(r: ToxicityRecord): number {
    const e = this.seen.get(substanceKey(r))?.get(this.contextIds.get(contextKey(r)) ?? -1);
    return e === undefined ? 0 : typeof e === "string" ? 1 : e.size;
  }

  constructor(private readonly maxRejections = 1000) {}

  /** Files the outcome in its bucket; returns the record to import, or null. */
  add(o: Outcome): ToxicityRecord | null {
    switch (o.kind) {
      case "not_a_record":
        this.b.not_a_record++;
        return null;
      case "rejected": {
        this.b.rejected++;
        this.rejectedRows.add(o.row);
        this.reasons[o.reason] = (this.reasons[o.reason] ?? 0) + 1;
        const k = `${o.row}|${o.field}|${o.reason}`;
        if (k !== this.lastRejection && this.rejections.length < this.maxRejections) {
          this.rejections.push({ row: o.row, field: o.field, reason: o.reason });
        }
        this.lastRejection = k;
        return null;
      }
      case "record": {
        const r = o.record;
        const sk = substanceKey(r);
        let byContext = this.seen.get(sk);
        if (!byContext) this.seen.set(sk, byContext = new Map());
        const ck = this.intern(this.contextIds, contextKey(r));
        const vk = valueKey(r);
        const cite = this.intern(this.citationIds, r.citation ?? "");
        const entry = byContext.get(ck);
        if (entry === undefined) {
          byContext.set(ck, `${vk}\u0000${cite}`);
        } else {
          let byValue = entry;
          if (typeof byValue === "string") {
            const [v0, c0] = byValue.split("\u0000");
            byValue = new Map([[v0, new Set([Number(c0)])]]);
            byContext.set(ck, byValue);
          }
          let cites = byValue.get(vk);
          if (!cites) byValue.set(vk, cites = new Set());
          if (cites.has(cite)) {
            this.b.duplicate++;
            return null;
          }
          cites.add(cite);
        }
        this.b.imported++;
        this.byType[r.value_type] = (this.byType[r.value_type] ?? 0) + 1;
        return r;
      }
    }
  }

  /** True when the record's substance and context already hold a different value in this import. */
  inConflict(r: ToxicityRecord): boolean {
    return this.values(r) > 1;
  }

  summary(): ReconcileSummary {
    let groups = 0, substances = 0;
    for (const byContext of this.seen.values()) {
      let any = false;
      for (const byValue of byContext.values()) {
        if (typeof byValue !== "string" && byValue.size > 1) {
          groups++;
          any = true;
        }
      }
      if (any) substances++;
    }
    const b = this.b;
    return {
      units: b.imported + b.duplicate + b.rejected + b.not_a_record,
      buckets: { ...b },
      rejected_rows: this.rejectedRows.size,
      rejections: [...this.rejections],
      rejection_reasons: { ...this.reasons },
      conflict_groups: groups,
      conflicting_substances: substances,
      imported_by_value_type: { ...this.byType },
    };
  }
}
