// The request and response shapes of the mixture routes (GET /mixtures/{id}, POST /mixtures/estimate), as zod
// schemas: the single source of the validation (validate(...) middleware) and of the OpenAPI document
// (MIXTURE_ROUTE_DOCS in mixtures.ts). The estimate itself is _shared/mixtures/estimate.ts's MixtureEstimate;
// its schema here describes it for clients (the handlers build it, they do not re-validate it).
import { z } from "zod";
import { CONCENTRATION_UNITS } from "../_shared/mixtures/concentration.ts";
import { MIXTURE_ERROR_CODES } from "../_shared/mixtures/errors.ts";

/** At most this many components in one composition (VS55 has 3, M22 8; 20 is far above any real cocktail). */
export const MAX_COMPONENTS = 20;

// Not imported from schemas.ts: web/ type-checks this module, and schemas.ts pulls in the untyped identifiers.mjs.
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** No control characters (NUL, newlines…) in any text we accept: they name nothing and only reach logs. */
// deno-lint-ignore no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;
const Text = (max: number) => z.string().trim().min(1).max(max).regex(PRINTABLE, "must not contain control characters");

export const MixtureId = z.object({
  id: z.string().regex(UUID_RE, "must be a uuid").meta({ description: "A mixture id (uuid)." }),
});

/** A molecule reference: a uuid, an InChIKey, a CAS registry number, or an exact name or synonym. */
export const MoleculeRef = Text(200).meta({
  description:
    "The molecule: its id (uuid), InChIKey, CAS registry number (check digit verified), or its exact name or a synonym.",
  examples: ["IAZDPXIOMUYVGZ-UHFFFAOYSA-N", "67-68-5", "dimethyl sulfoxide"],
});

const Density = z.number().positive().max(30);

export const EstimateComponent = z.strictObject({
  molecule: MoleculeRef,
  value: z.number().meta({ description: "The concentration, > 0 (refused with NON_POSITIVE_CONCENTRATION)." }),
  unit: z.string().max(32).meta({
    description: `One of ${CONCENTRATION_UNITS.map((u) => JSON.stringify(u)).join(", ")} (aliases mol/L, m, %w/v, ` +
      "%v/v, %w/w); anything else is refused with UNKNOWN_UNIT. M = mol per L of solution, mol/kg per kg of solvent.",
    examples: [...CONCENTRATION_UNITS],
  }),
  density: Density.nullable().optional().meta({
    description: "Density of the PURE component, g/mL (needed for % v/v).",
  }),
  penetrating: z.boolean().optional().meta({
    description: "Whether the component penetrates cells (counted in qv*); qv* is not computed unless every " +
      "non-carrier component says.",
  }),
  reason: Text(500).optional().meta({ description: "Why a component is not penetrating (shown in qv*)." }),
  role: z.enum(["ingredient", "carrier"]).optional().meta({
    description: '"carrier": a vehicle presumed not acutely toxic, named by the caller (needs carrier_reason).',
  }),
  carrier_reason: Text(500).optional(),
});

export const EstimateRequest = z.strictObject({
  components: z.array(EstimateComponent).min(1).max(MAX_COMPONENTS),
  solution_density: Density.nullable().optional().meta({
    description: "g/mL of the solution at the caller's temperature (needed for M, % w/v and % v/v). Never assumed.",
  }),
  water: z.union([z.number().min(0).max(100), z.literal("remainder")]).nullable().optional().meta({
    description: 'Water in % w/w, or "remainder" (100 − Σ stated solutes, an upper bound); omitted: no qv*.',
  }),
  carrier: z.strictObject({ name: Text(200), reason: Text(500) }).nullable().optional().meta({
    description: "The vehicle making up the rest to 100 % w/w (e.g. Euro-Collins), presumed not acutely toxic " +
      "for the reason given. Without it the rest counts as ingredients of unknown acute toxicity.",
  }),
});
export type EstimateRequestBody = z.infer<typeof EstimateRequest>;

/** Query of GET /mixtures/{id}: what a saved mixture does not store (its density, water, vehicle). */
export const SavedMixtureQuery = z.strictObject({
  solution_density: z.coerce.number().positive().max(30).optional(),
  water: z.union([z.literal("remainder"), z.coerce.number().min(0).max(100)]).optional(),
  carrier: Text(200).optional().meta({ description: "Name of the vehicle making up the rest (with carrier_reason)." }),
  carrier_reason: Text(500).optional(),
}).refine((q) => (q.carrier === undefined) === (q.carrier_reason === undefined), {
  message: "carrier and carrier_reason go together",
  path: ["carrier"],
});

// ---- responses ----

const Qualifier = z.enum(["=", "<", "<=", ">", ">=", "~"]);
const Category = z.union([
  z.literal(1),
  z.literal(2),
  z.literal(3),
  z.literal(4),
  z.literal(5),
  z.literal("not classified"),
]);

export const ResolvedMolecule = z.object({
  id: z.string(),
  name: z.string(),
  inchikey: z.string().nullable(),
  cas: z.string().nullable(),
  smiles: z.string().nullable(),
  kind: z.string(),
  molecular_weight: z.number().nullable().meta({ description: "g/mol (RDKit average MW, as stored)." }),
  visibility: z.enum(["public", "team"]),
});

export const ToxicityValueUsed = z.object({
  record_id: z.string(),
  value_type: z.enum(["LD50", "GHS_category"]),
  qualifier: Qualifier,
  value: z.number().meta({ description: "mg/kg for LD50; the category (1–5) for GHS_category." }),
  species: z.string().nullable(),
  route: z.string().nullable(),
  source: z.string(),
  citation: z.string().nullable(),
});

const Conversion = z.object({
  ok: z.boolean(),
  name: z.string(),
  from: z.object({ value: z.number(), unit: z.string() }),
  percent_w_w: z.number().optional(),
  formula: z.string().optional(),
  assumed: z.record(z.string(), z.number()).optional().meta({
    description: "Exactly the densities (g/mL) and MWs (g/mol) the conversion used.",
  }),
  missing: z.array(z.string()).optional(),
  reason: z.string().optional(),
});

const Additivity = z.object({
  ate_mix: z.number().nullable().meta({ description: "mg/kg body weight" }),
  qualifier: z.enum(["=", "~", ">", ">=", "<", "<=", "indeterminate"]).nullable(),
  category: Category.nullable(),
  possible_categories: z.array(Category),
  sum_terms: z.number(),
  unknown_percent: z.number(),
  unknown_adjustment: z.boolean(),
  formula: z.string(),
});

const AcuteComponent = z.object({
  name: z.string(),
  percent_w_w: z.number(),
  status: z.enum(["known", "unknown", "carrier", "not relevant (< 1 %)"]),
  used: z.object({
    ate: z.number(),
    qualifier: z.union([Qualifier, z.literal("converted")]),
    tier: z.number().int(),
    species: z.string().nullable(),
    route: z.string().nullable(),
    citation: z.string().nullable(),
    why: z.string(),
    more_severe_elsewhere: z.string().nullable(),
  }).nullable(),
  not_used: z.array(z.object({ value: z.string(), reason: z.string() })),
  estimate_term: z.number().nullable(),
  estimate_share: z.number().nullable().meta({ description: "fraction 0–1 of Σ Cᵢ/ATEᵢ (estimate sum)" }),
  ghs_term: z.number().nullable(),
  ghs_share: z.number().nullable().meta({ description: "fraction 0–1 of Σ Cᵢ/ATEᵢ (GHS sum)" }),
  ghs_note: z.string().nullable(),
});

export const MixtureEstimateSchema = z.object({
  conversions: z.array(Conversion),
  acute_oral: z.object({
    components: z.array(AcuteComponent),
    unaccounted_percent: z.number(),
    ghs: Additivity.meta({ description: "GHS §3.1.3.6 classification sum (ingredients in a category only)" }),
    estimate: Additivity.meta({ description: "The same formula over every relevant ingredient: not a classification" }),
    missing: z.array(z.string()),
    unknown_statement: z.string().nullable(),
    sources: z.array(z.string()),
  }).nullable(),
  qv: z.object({
    qv_star: z.number().nullable().meta({ description: "water molecules per polar group (dimensionless)" }),
    water: z.object({
      percent_w_w: z.number(),
      mol_per_100g: z.number(),
      mw: z.number(),
      basis: z.enum(["given", "remainder"]),
      note: z.string(),
    }),
    terms: z.array(z.object({
      name: z.string(),
      percent_w_w: z.number(),
      mw: z.number(),
      mol_per_100g: z.number(),
      groups: z.record(z.string(), z.number()),
      groups_per_molecule: z.number(),
      term: z.number(),
      ether_oxygens_not_counted: z.number(),
    })),
    not_counted: z.array(z.object({ name: z.string(), percent_w_w: z.number(), reason: z.string() })),
    formula: z.string(),
    rule: z.object({
      groups: z.array(z.object({ name: z.string(), smarts: z.string(), anchor: z.number() })),
      confidence: z.literal("U"),
      note: z.string(),
    }),
    source: z.string(),
  }).nullable(),
  interactions: z.object({
    flags: z.array(z.object({
      components: z.tuple([z.string(), z.string()]),
      kind: z.enum(["neutralization", "less toxic binary"]),
      finding: z.string(),
      citation: z.string(),
      evidence: z.enum(["V", "V2", "C", "U"]),
    })),
    no_data: z.array(z.tuple([z.string(), z.string()])),
    unidentified: z.array(z.string()),
    scale: z.record(z.string(), z.string()),
  }),
  not_computed: z.array(z.object({ part: z.enum(["acute_oral", "qv"]), reason: z.string() })),
});

export const EstimateComponentData = z.object({
  input: z.string().meta({ description: "The reference as given (molecule field)." }),
  matched_by: z.enum(["id", "inchikey", "cas", "name"]),
  molecule: ResolvedMolecule,
  toxicity_values: z.array(ToxicityValueUsed).meta({
    description: "Every oral-toxicity candidate record (LD50, GHS category) the caller may read; the estimate " +
      "says which one it used and why (acute_oral.components[].used / not_used).",
  }),
  skeleton_records_ignored: z.number().int().meta({
    description: "Records linked to this molecule by InChIKey skeleton only (stereo/isotope unresolved): not used.",
  }),
});

export const SCALES = {
  ate_mix: "mg/kg body weight, with a qualifier: = exact, ~ approximate, > >= lower bound, < <= upper bound, " +
    "indeterminate (no bound)",
  category: 'GHS acute oral category 1–5 or "not classified" (UN GHS Table 3.1.1); null when not determinate',
  estimate_share: "fraction 0–1 of Σ Cᵢ/ATEᵢ in the estimate sum",
  ghs_share: "fraction 0–1 of Σ Cᵢ/ATEᵢ in the GHS classification sum",
  qv_star: "water molecules per polar group of the penetrating CPAs (dimensionless; Fahy et al. 2004)",
  evidence: "V read in the source > V2 secondary source > C computed from verified inputs > U unverified",
} as const;

export const EstimateResponse = z.object({
  mixture: z.object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    source: z.string(),
    citation: z.string().nullable(),
    confidence: z.string().nullable(),
    visibility: z.enum(["public", "team"]),
  }).nullable().meta({ description: "The saved mixture (GET /mixtures/{id}); null for POST /mixtures/estimate." }),
  components: z.array(EstimateComponentData),
  inputs: z.object({
    solution_density: z.number().nullable(),
    water: z.union([z.number(), z.literal("remainder")]).nullable(),
    carrier: z.object({ name: z.string(), reason: z.string() }).nullable(),
  }),
  estimate: MixtureEstimateSchema.nullable(),
  not_computed_reason: z.object({ code: z.string(), message: z.string() }).nullable().meta({
    description: "GET of a saved mixture whose stored composition the estimate refuses (e.g. a unit needing a " +
      "molecular weight the molecule lacks): why, and estimate is null.",
  }),
  scales: z.object(Object.fromEntries(Object.keys(SCALES).map((k) => [k, z.string()]))),
});
export type EstimateResponseBody = z.infer<typeof EstimateResponse>;

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().meta({
      description: "INVALID_INPUT, UNKNOWN_MOLECULE, AMBIGUOUS_MOLECULE, NOT_FOUND, insufficient_scope, or a " +
        `mixture code: ${MIXTURE_ERROR_CODES.join(", ")}`,
    }),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
