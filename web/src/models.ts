// The toxicity API's shapes as the pages use them (supabase/functions/toxicity/schemas.ts is the source of
// truth; docs/web-app.md). Only the fields the pages show are named here.

export type Json = Record<string, unknown>;

/** A molecule as a lookup or a search names it (schemas.ts: MoleculeRef). */
export interface MoleculeRef {
  id: string;
  name: string;
  inchikey: string | null;
  cas: string | null;
  pubchem_cid: number | null;
  kind?: "small_molecule" | "polymer";
  visibility: "public" | "team" | string;
  team_id: string | null;
}

/** GET /search → { q, items } (schemas.ts: SearchItem). */
export interface SearchHit extends Omit<MoleculeRef, "kind"> {
  synonyms: string[];
  matched: { field: string; value: string | null };
  rank: number;
  has_records: boolean;
}

/** One owner's precomputed summary (schemas.ts: SummaryRow): public records, or one team's private ones. */
export interface SummaryRow {
  team_id: string | null;
  visibility: string;
  record_count: number;
  source_count: number;
  lowest_ghs_category: number | null;
  has_skeleton_matches: boolean | null;
  ld50: {
    species: string | null;
    route: string | null;
    n: number;
    lowest: number;
    lowest_qualifier: string;
    median: number;
    unit: string;
  }[];
  hit_calls: { endpoint: string; tested: number; active: number }[];
}

/** One toxicity value, normalized and as stated (schemas.ts: ToxicityRecord). */
export interface ToxRecord {
  id: string;
  value_type: string;
  qualifier: string;
  value: number;
  unit: string;
  raw_qualifier: string | null;
  raw_value: string;
  raw_unit: string | null;
  species: string | null;
  route: string | null;
  duration: string | null;
  sex: string | null;
  endpoint: string | null;
  assay: string | null;
  assay_name: string | null;
  source: string | null;
  citation: string | null;
  url: string | null;
  molecule_match: "exact" | "skeleton" | null;
  visibility: string;
  team_id: string | null;
}

export interface Source {
  name: string;
  title: string;
  version: string | null;
  url: string | null;
  citation: string | null;
  licence: string | null;
  record_count: number;
}

/** GET /molecules/{ref} (schemas.ts: ProfileResponse). */
export interface Profile {
  molecule: MoleculeRef & {
    synonyms: string[];
    smiles: string | null;
    inchi: string | null;
    formula: string | null;
    molecular_weight: number | null;
    identifiers: { kind: string; value: string; source: string }[];
  };
  summary: SummaryRow[];
  records: { items: ToxRecord[]; next_cursor: string | null };
  sources: Source[];
}

/** POST /lookup → { results, counts } (schemas.ts: LookupResult). */
export interface LookupRow {
  index: number;
  input: string;
  kind: string | null;
  status: "found" | "unknown" | "ambiguous" | "invalid";
  reason?: string;
  molecule?: MoleculeRef;
  candidates?: MoleculeRef[];
  summary?: SummaryRow[];
  more_records?: boolean;
}
export interface LookupResponse {
  results: LookupRow[];
  counts: { found: number; unknown: number; ambiguous: number; invalid: number };
}

/** The value types of the records, with the units they are stored in (schemas.ts: ValueType). */
export const VALUE_TYPES: Record<string, string> = {
  LD50: "LD50 (mg/kg)",
  AC50: "AC50 (µM)",
  hit_call: "Hit call (1 active, 0 inactive)",
  GHS_category: "GHS category (1–5)",
  EPA_category: "EPA category (I–IV)",
};

/** "Public records" or "Private to your team" for one summary row or record. */
export function ownerLabel(x: { team_id: string | null }): string {
  return x.team_id ? "Private to your team" : "Public";
}

/** One line of what is known from summary rows: records, sources, the lowest LD50, the lowest GHS category. */
export function summaryLine(rows: SummaryRow[] | undefined): string {
  if (!rows?.length) return "No toxicity records";
  const records = rows.reduce((a, r) => a + r.record_count, 0);
  const ld50 = rows.flatMap((r) => r.ld50).sort((a, b) => a.lowest - b.lowest)[0];
  const ghs = rows.map((r) => r.lowest_ghs_category).filter((g): g is number => g !== null).sort()[0];
  const parts = [`${records} record${records === 1 ? "" : "s"}`];
  if (ld50) {
    const q = ld50.lowest_qualifier === "=" ? "" : `${ld50.lowest_qualifier} `;
    parts.push(
      `lowest LD50 ${q}${ld50.lowest.toLocaleString("en")} mg/kg (${
        [ld50.species, ld50.route].filter(Boolean).join(", ") || "species not stated"
      })`,
    );
  }
  if (ghs !== undefined) parts.push(`GHS category ${ghs}`);
  return parts.join("; ");
}

export const CONCENTRATION_UNITS = ["% w/w", "% w/v", "% v/v", "M", "mol/kg"] as const;

/** A value for a table cell: scalars as text, arrays joined, objects as key: value pairs. */
export function cell(v: unknown): string {
  if (v === null || v === undefined || v === "") return "—";
  if (Array.isArray(v)) return v.map(cell).join(", ");
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en") : String(Number(v.toPrecision(6)));
  if (typeof v === "object") {
    return Object.entries(v as Json).map(([k, x]) => `${label(k)}: ${cell(x)}`).join("; ");
  }
  return String(v);
}

/** "molecular_weight" → "Molecular weight". */
export function label(key: string): string {
  const s = key.replace(/_/g, " ").replace(/\bcas\b/i, "CAS").replace(/\binchikey\b/i, "InChIKey")
    .replace(/\bsmiles\b/i, "SMILES").replace(/\bdtxsid\b/i, "DTXSID").replace(/\bcid\b/i, "CID").replace(
      /\bghs\b/i,
      "GHS",
    );
  return s.charAt(0).toUpperCase() + s.slice(1);
}
