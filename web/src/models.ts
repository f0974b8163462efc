// The toxicity API's shapes as the pages use them (supabase/functions/toxicity/schemas.ts is the source of
// truth; docs/web-app.md). Only the fields the pages show are named here.

export type Json = Record<string, unknown>;

export interface SearchHit {
  id: string;
  name: string;
  inchikey?: string | null;
  cas?: string | null;
  formula?: string | null;
  matched?: string | null;
}

export interface ToxRecord {
  id?: string;
  value_type?: string | null;
  endpoint?: string | null;
  qualifier?: string | null;
  value?: number | null;
  value_text?: string | null;
  unit?: string | null;
  species?: string | null;
  route?: string | null;
  assay?: string | null;
  source?: string | null;
  citation?: string | null;
  [k: string]: unknown;
}

export interface Profile {
  molecule: Json & { id: string; name: string };
  identifiers?: Json;
  summary?: Json | Json[] | null;
  records: ToxRecord[];
  next_cursor?: string | null;
  sources?: Json[];
}

export interface LookupRow {
  identifier: string;
  status: "found" | "unknown" | "ambiguous" | string;
  kind?: string | null;
  molecule?: (Json & { id: string; name: string }) | null;
  candidates?: Json[];
  summary?: Json | Json[] | null;
  reason?: string | null;
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
    .replace(/\bsmiles\b/i, "SMILES").replace(/\bdtxsid\b/i, "DTXSID").replace(/\bcid\b/i, "CID").replace(/\bghs\b/i, "GHS");
  return s.charAt(0).toUpperCase() + s.slice(1);
}
