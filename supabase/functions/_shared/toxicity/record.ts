// One toxicity record, whatever file it came from: the shape every reader emits and the line format of our
// own `cryoprotect` files (NDJSON, one record a line). Raw qualifier, value and unit are kept exactly as the
// source wrote them; the normalized value is in the canonical unit of its value type (units.ts) with the
// conversion used. Species, route, duration and sex are null unless the source states them.
import { z } from "zod";
import { CANONICAL_UNIT, UNITS, VALUE_TYPES } from "./units.ts";

const text = z.string().min(1).max(2000);

/** The qualifiers a normalized value may carry. A blank raw qualifier normalizes to "=". */
export const QUALIFIERS = ["=", "<", "<=", ">", ">=", "~"] as const;
export const Qualifier = z.enum(QUALIFIERS);

export const Sex = z.enum(["female", "male", "male/female"]);

/** Identifiers as the source states them (not yet resolved to a molecule). */
export const StatedIdentifiers = z.strictObject({
  name: text.nullable(),
  cas: z.string().regex(/^\d{2,7}-\d{2}-\d$/).nullable(),
  dtxsid: z.string().regex(/^DTXSID\d{5,12}$/).nullable(),
});

/** What a record is about. */
export const Substance = z.discriminatedUnion("kind", [
  /** A structure given as SMILES, with what RDKit computed from it. components > 1: a salt, hydrate or mixture. */
  z.strictObject({
    kind: z.literal("structure"),
    smiles: z.string().min(1).max(5000),
    canonical_smiles: z.string().min(1),
    inchi: z.string().startsWith("InChI="),
    inchikey: z.string().regex(/^[A-Z]{14}-[A-Z]{10}-[A-Z]$/),
    molecular_weight: z.number().positive(),
    components: z.number().int().positive(),
  }),
  /** A chemical named by identifiers only (no structure in the source). */
  z.strictObject({ kind: z.literal("chemical"), identifiers: StatedIdentifiers }),
  /** A formulation (a product): its value belongs to it, never to the active ingredient. */
  z.strictObject({
    kind: z.literal("formulation"),
    formulation_id: text.nullable(),
    name: text.nullable(),
    /** As given, e.g. "7.5"; null when not stated. */
    percent_active_ingredient: z.string().max(50).nullable(),
    active_ingredient: StatedIdentifiers,
  }),
]);

export const ToxicityRecord = z.strictObject({
  /** The source file's name for its data set, e.g. "tox21". */
  source: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/),
  /** The source's id of the record (tox21 mol_id, ICE Record ID), or null when it has none. */
  source_record_id: text.nullable(),
  /** 1-based data row of the input file (header excluded). */
  source_row: z.number().int().positive(),
  substance: Substance,
  /** The source's assay id (e.g. "SR-ARE", "ATG_Ahr_CIS_up"), or null for endpoint-only records. */
  assay: text.nullable(),
  /** What is measured, e.g. "acute oral toxicity", "stress response". */
  endpoint: text,
  value_type: z.enum(VALUE_TYPES as [keyof typeof CANONICAL_UNIT, ...(keyof typeof CANONICAL_UNIT)[]]),
  raw: z.strictObject({
    qualifier: z.string().max(10).nullable(),
    value: z.string().min(1).max(100),
    unit: z.string().max(50).nullable(),
  }),
  normalized: z.strictObject({
    qualifier: Qualifier,
    value: z.number().refine(Number.isFinite, "not a finite number"),
    unit: z.enum(UNITS),
    conversion: text,
  }),
  species: text.nullable(),
  route: text.nullable(),
  duration: text.nullable(),
  sex: Sex.nullable(),
  citation: text.nullable(),
  url: z.string().max(2000).nullable(),
}).superRefine((r, ctx) => {
  if (r.normalized.unit !== CANONICAL_UNIT[r.value_type]) {
    ctx.addIssue({
      code: "custom",
      path: ["normalized", "unit"],
      message: `a ${r.value_type} is normalized to ${CANONICAL_UNIT[r.value_type]}`,
    });
  }
});
export type ToxicityRecord = z.infer<typeof ToxicityRecord>;

/** The JSON Schema of a `cryoprotect` line, generated from the zod schema (committed in docs/). */
export function recordJsonSchema(): unknown {
  return z.toJSONSchema(ToxicityRecord, { target: "draft-2020-12", io: "input" });
}
