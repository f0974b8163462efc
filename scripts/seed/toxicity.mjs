// The seed's curated toxicity records (cpas.json `toxicity`, source "literature"): how a raw value as the
// source writes it becomes the normalized value the database stores, and the record's idempotency key.
// The importer (supabase/functions/_shared/toxicity/) has its own units module and key for imported data
// sets; this one covers only what the curated values use, and rejects anything else by name.
import { createHash } from "node:crypto";

/** The canonical unit of each value type (the CHECK toxicity_records_canonical_unit). */
export const CANONICAL_UNIT = { LD50: "mg/kg", AC50: "µM", hit_call: "call", GHS_category: "category", EPA_category: "category" };

/** A dose unit as written → factor to mg/kg. */
const DOSE_UNITS = { "mg/kg": 1, "g/kg": 1000 };

/** A qualifier as written (blank: none stated) → the normalized qualifier (domain toxicity_qualifier). */
const QUALIFIERS = { "": "=", "=": "=", "<": "<", "<=": "<=", "≤": "<=", ">": ">", ">=": ">=", "≥": ">=", "~": "~", "≈": "~" };

/** A value as written, with thousands separators ("14,500") → a number; null when it is not a number. */
function parseRawNumber(raw) {
  const s = raw.trim();
  if (!/^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/.test(s)) return null;
  return Number(s.replace(/,/g, ""));
}

/**
 * normalizeToxicity({ value_type, raw_qualifier, raw_value, raw_unit }) →
 *   { qualifier, value, unit, conversion } or { error } (a sentence naming what is wrong).
 * LD50 only (the curated values are doses): the unit must be mg/kg or g/kg, converted to mg/kg; the value
 * positive; the qualifier one of = < <= > >= ~ (also ≤ ≥ ≈ as written; blank means =).
 */
export function normalizeToxicity({ value_type, raw_qualifier, raw_value, raw_unit }) {
  if (value_type !== "LD50") return { error: `value type ${JSON.stringify(value_type)} is not curated here (LD50 only)` };
  const qualifier = QUALIFIERS[(raw_qualifier ?? "").trim()];
  if (qualifier === undefined) return { error: `unknown qualifier ${JSON.stringify(raw_qualifier)}` };
  const factor = DOSE_UNITS[raw_unit ?? ""];
  if (factor === undefined) return { error: `unknown unit ${JSON.stringify(raw_unit)} for an LD50 (mg/kg or g/kg)` };
  const n = parseRawNumber(raw_value);
  if (n === null) return { error: `not a number: ${JSON.stringify(raw_value)}` };
  if (!(n > 0)) return { error: `an LD50 must be positive: ${JSON.stringify(raw_value)}` };
  const value = Number((n * factor).toPrecision(12));
  const conversion = factor === 1 ? "as given (mg/kg)" : `${raw_unit} × ${factor} → mg/kg`;
  return { qualifier, value, unit: CANONICAL_UNIT.LD50, conversion };
}

/**
 * canonicalJson(value) → string: JSON with object keys sorted (by UTF-16 code unit, recursively), no
 * whitespace, strings NFC-normalized, undefined written as null. The same record always gives the same text.
 */
export function canonicalJson(v) {
  if (v === undefined || v === null) return "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k.normalize("NFC"))}:${canonicalJson(v[k])}`).join(",")}}`;
  }
  if (typeof v === "string") return JSON.stringify(v.normalize("NFC"));
  if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  return JSON.stringify(v);
}

/**
 * recordKey(fields) → 64 lowercase hex: sha256 of canonicalJson of what makes a curated record the same
 * record: { source, inchikey, endpoint, value_type, raw_qualifier, raw_value, raw_unit, species, route, sex,
 * duration, citation }, each null when not stated. Not in it: the normalized value (a function of the raw
 * one), ids, the confidence label (re-labelling a record does not make it another record), the owner (the
 * database keeps one key space per owner). See docs/seed-data.md.
 */
export function recordKey(f) {
  const keyed = {
    source: f.source,
    inchikey: f.inchikey,
    endpoint: f.endpoint,
    value_type: f.value_type,
    raw_qualifier: f.raw_qualifier ?? null,
    raw_value: f.raw_value,
    raw_unit: f.raw_unit ?? null,
    species: f.species ?? null,
    route: f.route ?? null,
    sex: f.sex ?? null,
    duration: f.duration ?? null,
    citation: f.citation ?? null,
  };
  return createHash("sha256").update(canonicalJson(keyed), "utf8").digest("hex");
}
