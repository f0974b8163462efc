// The zod schemas of the toxicity read API (profiles, lookup, search): the single source of the request
// validation (validate(...) middleware), of the response types the handlers build, and of the OpenAPI
// document (openapi.ts). Units: LD50 in mg/kg, AC50 in µM, hit calls 1 (active) / 0 (inactive), GHS
// categories 1–5 and EPA categories 1–4 (I–IV), as public.toxicity_records stores them (`unit` says which).
import { z } from "zod";
import { casValid, DTXSID_RE, INCHIKEY_RE } from "../_shared/identifiers.mjs";
import { TOXICITY_QUALIFIERS, TOXICITY_VALUE_TYPES, VISIBILITIES } from "../_shared/vocabulary.ts";

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The shape of a CAS registry number (its check digit: casValid). */
export const CAS_SHAPE = /^\d{2,7}-\d{2}-\d$/;
// No control characters (NUL included) in any text a caller sends: they are never a name or an identifier.
// deno-lint-ignore no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

/** A free text parameter: 1..200 printable characters, trimmed. */
export const Text = z.string().trim().min(1).max(200).regex(PRINTABLE, "must not contain control characters");

export const ValueType = z.enum(TOXICITY_VALUE_TYPES).describe(
  "LD50 (mg/kg), AC50 (µM), hit_call (1 active / 0 inactive), GHS_category (1–5), EPA_category (1–4 for I–IV)",
);
export const Qualifier = z.enum(TOXICITY_QUALIFIERS);
export const Visibility = z.enum(VISIBILITIES);

/** The kinds of identifier a lookup understands. `id` is a CryoProtect molecule id (uuid). */
export const IDENTIFIER_KINDS = ["id", "inchikey", "cas", "dtxsid", "pubchem_cid", "chembl_id", "name"] as const;
export const IdentifierKind = z.enum(IDENTIFIER_KINDS);
export type IdentifierKind = z.infer<typeof IdentifierKind>;

/**
 * One identifier of a lookup: a string (its kind is detected: uuid, InChIKey, CAS, DTXSID, CHEMBL…, "CID 679"
 * or digits for PubChem, anything else a name or synonym) or `{ kind, value }` to say the kind.
 */
export const IdentifierInput = z.union([
  Text,
  z.strictObject({ kind: IdentifierKind, value: Text }),
]).describe("an identifier string (kind detected) or { kind, value }");
export type IdentifierInput = z.infer<typeof IdentifierInput>;

/** An identifier after classification: its kind and normalized value, or why it cannot name anything. */
export type Classified =
  | { ok: true; kind: IdentifierKind; value: string }
  | { ok: false; kind: IdentifierKind | null; value: string; reason: string };

/**
 * Classifies one lookup identifier: detects the kind of a bare string and normalizes the value (InChIKey,
 * DTXSID and ChEMBL ids upper-case; "CID 679" → 679); a value that cannot be of its kind (a CAS number whose
 * check digit is wrong, an InChIKey of the wrong shape) is `ok: false` with a reason, answered as `invalid`.
 */
export function classify(input: IdentifierInput): Classified {
  const explicit = typeof input === "object";
  const raw = explicit ? input.value : input;
  const upper = raw.toUpperCase();
  let kind: IdentifierKind;
  if (explicit) kind = input.kind;
  else if (UUID_RE.test(raw)) kind = "id";
  else if (INCHIKEY_RE.test(upper)) kind = "inchikey";
  else if (CAS_SHAPE.test(raw)) kind = "cas";
  else if (DTXSID_RE.test(upper)) kind = "dtxsid";
  else if (/^CHEMBL\d{1,12}$/.test(upper)) kind = "chembl_id";
  else if (/^(CID[\s:]*)?\d{1,18}$/i.test(raw)) kind = "pubchem_cid";
  else kind = "name";
  const bad = (reason: string): Classified => ({ ok: false, kind, value: raw, reason });
  switch (kind) {
    case "id":
      return UUID_RE.test(raw) ? { ok: true, kind, value: raw.toLowerCase() } : bad("not a uuid");
    case "inchikey":
      return INCHIKEY_RE.test(upper) ? { ok: true, kind, value: upper } : bad("not an InChIKey (14-10-1 letters)");
    case "cas":
      if (!CAS_SHAPE.test(raw)) return bad("not a CAS registry number (2–7 digits-2 digits-1 digit)");
      return casValid(raw) ? { ok: true, kind, value: raw } : bad("the CAS check digit is wrong");
    case "dtxsid":
      return DTXSID_RE.test(upper) ? { ok: true, kind, value: upper } : bad("not a DTXSID (DTXSID + digits)");
    case "chembl_id":
      return /^CHEMBL\d{1,12}$/.test(upper)
        ? { ok: true, kind, value: upper }
        : bad("not a ChEMBL id (CHEMBL + digits)");
    case "pubchem_cid": {
      const m = /^(?:CID[\s:]*)?(\d{1,18})$/i.exec(raw);
      const n = m ? BigInt(m[1]) : 0n;
      return m && n > 0n && n <= 9223372036854775807n
        ? { ok: true, kind, value: n.toString() }
        : bad("not a PubChem CID (a positive integer)");
    }
    case "name":
      return { ok: true, kind, value: raw };
  }
}

/** The most identifiers one lookup takes. */
export const LOOKUP_MAX = 1000;

export const LookupBody = z.strictObject({
  identifiers: z.array(IdentifierInput).min(1).max(LOOKUP_MAX)
    .describe(`1..${LOOKUP_MAX} identifiers, answered in this order`),
  value_types: z.array(ValueType).min(1).max(TOXICITY_VALUE_TYPES.length).optional()
    .describe("only records of these value types (default: all)"),
  records_per_identifier: z.number().int().min(0).max(1000).default(100)
    .describe("at most this many records per identifier (0: summary only); more_records says when there are more"),
});
export type LookupBody = z.infer<typeof LookupBody>;

/** A molecule as a lookup or a search names it. */
export const MoleculeRef = z.object({
  id: z.string().uuid(),
  name: z.string(),
  inchikey: z.string().nullable(),
  cas: z.string().nullable(),
  pubchem_cid: z.number().int().nullable(),
  kind: z.enum(["small_molecule", "polymer"]),
  visibility: Visibility,
  team_id: z.string().uuid().nullable().describe("the owning team (null: public reference data)"),
});

/** One row of public.toxicity_summary: the values of one owner (public, or one of the caller's teams). */
export const SummaryRow = z.object({
  team_id: z.string().uuid().nullable().describe("null: public records; else the team whose private records these are"),
  visibility: Visibility,
  record_count: z.number().int(),
  source_count: z.number().int(),
  lowest_ghs_category: z.number().int().nullable(),
  has_skeleton_matches: z.boolean().nullable().describe("some records matched the structure by skeleton only"),
  ld50: z.array(z.object({
    species: z.string().nullable(),
    route: z.string().nullable(),
    n: z.number().int(),
    lowest: z.number(),
    lowest_qualifier: Qualifier,
    median: z.number(),
    unit: z.literal("mg/kg"),
  })),
  hit_calls: z.array(z.object({ endpoint: z.string(), tested: z.number().int(), active: z.number().int() })),
}).describe("precomputed (refreshed at every import commit and every 10 min)");

/** One toxicity value as the source states it (raw) and normalized (qualifier, value, unit). */
export const ToxicityRecord = z.object({
  id: z.string().uuid(),
  value_type: ValueType,
  qualifier: Qualifier,
  value: z.number(),
  unit: z.string().describe("mg/kg (LD50), µM (AC50), call (hit_call), category (GHS/EPA)"),
  raw_qualifier: z.string().nullable(),
  raw_value: z.string(),
  raw_unit: z.string().nullable(),
  species: z.string().nullable(),
  route: z.string().nullable(),
  duration: z.string().nullable(),
  sex: z.string().nullable(),
  endpoint: z.string().nullable(),
  assay: z.string().nullable().describe("the source's assay id"),
  assay_name: z.string().nullable(),
  source: z.string().nullable().describe("the source's slug (see sources)"),
  citation: z.string().nullable(),
  url: z.string().nullable(),
  molecule_match: z.enum(["exact", "skeleton"]).nullable(),
  visibility: Visibility,
  team_id: z.string().uuid().nullable(),
});
export type ToxicityRecord = z.infer<typeof ToxicityRecord>;

export const LookupStatus = z.enum(["found", "unknown", "ambiguous", "invalid"]);

/** The answer for one identifier, at the same position as in the request. */
export const LookupResult = z.object({
  index: z.number().int().describe("0-based position in the request"),
  input: z.string().describe("the identifier as sent"),
  kind: IdentifierKind.nullable(),
  status: LookupStatus,
  reason: z.string().optional().describe("why an identifier is invalid, unknown or ambiguous"),
  molecule: MoleculeRef.optional().describe("found: the molecule"),
  candidates: z.array(MoleculeRef).optional().describe("ambiguous: the molecules it could name (at most 6)"),
  summary: z.array(SummaryRow).optional(),
  records: z.array(ToxicityRecord).optional(),
  more_records: z.boolean().optional(),
});
export type LookupResult = z.infer<typeof LookupResult>;

export const LookupResponse = z.object({
  results: z.array(LookupResult),
  counts: z.object({
    found: z.number().int(),
    unknown: z.number().int(),
    ambiguous: z.number().int(),
    invalid: z.number().int(),
  }),
});

/** The CSV columns of a lookup answered as text/csv: one row per identifier and record. */
export const LOOKUP_CSV_COLUMNS = [
  "index",
  "input",
  "kind",
  "status",
  "reason",
  "molecule_id",
  "molecule_name",
  "inchikey",
  "cas",
  "value_type",
  "qualifier",
  "value",
  "unit",
  "raw_qualifier",
  "raw_value",
  "raw_unit",
  "species",
  "route",
  "duration",
  "sex",
  "endpoint",
  "assay",
  "source",
  "citation",
  "url",
  "molecule_match",
  "visibility",
] as const;

/** Path of a profile: a molecule id (uuid), an InChIKey or a CAS number. */
export const ProfileParams = z.object({
  ref: Text.describe("a molecule id (uuid), an InChIKey or a CAS registry number"),
});

const Filter = z.string().trim().min(1).max(100).regex(PRINTABLE, "must not contain control characters");

export const ProfileQuery = z.strictObject({
  value_type: ValueType.optional(),
  endpoint: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be an endpoint code").optional(),
  assay: Filter.optional().describe("the source's assay id"),
  species: Filter.optional(),
  route: Filter.optional(),
  source: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be a source slug").optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, "must be a cursor from next_cursor").optional(),
});
export type ProfileQuery = z.infer<typeof ProfileQuery>;

export const Source = z.object({
  name: z.string(),
  title: z.string(),
  version: z.string().nullable(),
  url: z.string().nullable(),
  citation: z.string().nullable(),
  licence: z.string().nullable(),
  record_count: z.number().int().describe("the molecule's records from this source that the caller can read"),
});

export const MoleculeIdentity = MoleculeRef.extend({
  synonyms: z.array(z.string()),
  smiles: z.string().nullable(),
  inchi: z.string().nullable(),
  formula: z.string().nullable(),
  molecular_weight: z.number().nullable(),
  identifiers: z.array(z.object({ kind: z.string(), value: z.string(), source: z.string() })),
});

export const ProfileResponse = z.object({
  molecule: MoleculeIdentity,
  summary: z.array(SummaryRow),
  records: z.object({
    items: z.array(ToxicityRecord).describe("ordered by value type, then id"),
    next_cursor: z.string().nullable().describe("pass as ?cursor= for the next page (null: last page)"),
  }),
  sources: z.array(Source).describe("every source of the molecule's readable records, with its citation"),
});
export type ProfileResponse = z.infer<typeof ProfileResponse>;

export const SearchQuery = z.strictObject({
  q: Text.describe("a name, synonym or identifier (prefix); 1..200 characters"),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

export const SearchItem = MoleculeRef.omit({ kind: true }).extend({
  synonyms: z.array(z.string()),
  matched: z.object({ field: z.string(), value: z.string().nullable() }).describe("what matched q"),
  rank: z.number().describe("1 exact name or synonym; 0.95 identifier prefix; 0.9 name prefix; below: similarity"),
  has_records: z.boolean().describe("the caller can read toxicity records of it"),
});

export const SearchResponse = z.object({ q: z.string(), items: z.array(SearchItem) });

/** The error body of every function (`_shared/errors.ts`). */
export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
