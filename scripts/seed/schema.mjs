// The shapes of the seed data files (cpas.json, demo.json, known-bad.json) as zod schemas: the one place
// that says which fields a record has, which are required, and which vocabulary each takes. A file that
// does not fit is refused before any chemistry runs, with the zod path and message of every problem.
// What needs RDKit or other records (structures, duplicates, stated totals) is checked in verify.mjs.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { casValid, INCHIKEY_RE } from "../../supabase/functions/_shared/identifiers.mjs";

/** --- Vocabularies (the data model's check constraints) --- */

const vocabulary = JSON.parse(readFileSync(new URL("../../supabase/vocabulary.json", import.meta.url), "utf8"));

// The vocabularies the database defines (domains; supabase/vocabulary.json is generated from them).
const Confidence = z.enum(vocabulary.confidence_label);
const Qualifier = z.enum(["=", "<", "<=", ">", ">=", "~"]);
const Unit = z.enum(vocabulary.concentration_unit);
const Role = z.enum(["penetrating", "non_penetrating", "carrier"]);
const TeamRole = z.enum(vocabulary.team_role);
const ToxicityValueType = z.enum(vocabulary.toxicity_value_type);

const Key = z.string().regex(/^[a-z0-9_]+$/, "key must match [a-z0-9_]+");
const Text = z.string().refine((s) => s.trim().length > 0, "must not be blank");
const Citation = Text.nullish();

/** --- Records --- */

const PropertyType = z.strictObject({
  code: Key,
  name: Text,
  canonical_unit: Text.nullable(),
  value_kind: z.enum(["numeric", "text"]),
  description: Text,
});

/** A measured value, with the unit, qualifier, species and route as its source states them. */
const Property = z.strictObject({
  type: Key,
  value: z.number(),
  unit: Text,
  qualifier: Qualifier.optional(),
  temperature_c: z.number().nullish(),
  method: Text.nullish(),
  species: Text.nullish(),
  route: Text.nullish(),
  source: Text,
  citation: Citation,
  confidence: Confidence,
});

const moleculeFields = {
  key: Key,
  name: Text,
  kind: z.enum(["small_molecule", "polymer"]).optional(),
  synonyms: z.array(Text).optional(),
  smiles: Text.optional(),
  // Claims checked against the structure (verify.mjs); never stored as given.
  formula: Text.optional(),
  inchikey: z.string().regex(INCHIKEY_RE, "not an InChIKey").optional(),
  molecular_weight: z.number().positive().optional(),
  // Why stereocentres are left unspecified (a racemate, an unverified isomer), and notes on the SMILES.
  stereo: Text.optional(),
  stereo_note: Text.optional(),
  // null: looked for and not resolved.
  cas: z.string().refine(casValid, "not a CAS registry number, or its check digit is wrong").nullish(),
  pubchem_cid: z.int().positive().nullish(),
  pubchem_cid_confidence: z.enum(["V", "U"]).optional(),
  source: Text,
  citation: Citation,
  confidence: Confidence,
  properties: z.array(Property).optional(),
};

/** A small molecule is stored by its structure; a polymer has none that a SMILES could give. */
const needsSmiles = (m, ctx) => {
  if ((m.kind ?? "small_molecule") === "small_molecule" && m.smiles === undefined) {
    ctx.addIssue({ code: "custom", path: ["smiles"], message: "a small molecule needs a SMILES" });
  }
};

const Total = z.strictObject({ value: z.number().positive(), unit: Unit, qualifier: z.enum(["=", "~"]).optional() });
const Component = z.strictObject({
  molecule: Key,
  concentration: z.number().positive(),
  unit: Unit,
  role: Role,
});

const mixtureFields = {
  key: Key,
  name: Text,
  description: Text.nullish(),
  // Every total the source states; the first is stored, all are checked against the components.
  totals: z.array(Total).optional(),
  components: z.array(Component).min(1, "a mixture needs components"),
  source: Text,
  citation: Citation,
  confidence: Confidence,
};

/** --- Curated toxicity values (source "literature") --- */

/** The toxicity_sources row of the curated values: citation and licence as stated (null: none stated). */
const ToxicitySource = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "a source name is a slug"),
  title: Text,
  version: Text.nullable(),
  url: Text.nullable(),
  citation: Text.nullable(),
  licence: Text.nullable(),
  description: Text,
});

/** An endpoint the curated values need beyond those the migrations create. */
const ToxicityEndpoint = z.strictObject({
  code: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "an endpoint code is [a-z][a-z0-9_]*"),
  name: Text,
  description: Text,
});

/**
 * One curated value about a reference molecule: raw qualifier, value and unit exactly as the source writes
 * them (normalized by toxicity.mjs), and the context only where the source states it (no default species or
 * route). `note` is for readers of this file (the database has no column for it).
 */
const ToxicityRecord = z.strictObject({
  key: Key,
  molecule: Key,
  endpoint: Key,
  value_type: ToxicityValueType,
  raw_qualifier: z.string().max(10).nullable(),
  raw_value: Text.pipe(z.string().max(100)),
  raw_unit: Text.pipe(z.string().max(50)).nullable(),
  species: Text.nullish(),
  route: Text.nullish(),
  sex: z.enum(["female", "male", "male/female"]).optional(),
  duration: Text.optional(),
  note: Text.optional(),
  citation: Citation,
  confidence: Confidence,
});

/** Team-private demo records name their team and the demo user who created them. */
const owned = { team: Key, created_by: Key };

/** What a known-bad record must be rejected for (field, and optionally the rule). */
const expectRejection = { expect_rejection: z.array(z.strictObject({ field: Text, rule: Key.optional() })).min(1) };

export const Molecule = z.strictObject(moleculeFields).superRefine(needsSmiles);
export const Mixture = z.strictObject(mixtureFields);
export const TeamMolecule = z.strictObject({ ...moleculeFields, ...owned }).superRefine(needsSmiles);
export const TeamMixture = z.strictObject({ ...mixtureFields, ...owned });

/** --- Files --- */

/** scripts/seed/cpas.json: the public reference data. */
export const ReferenceFile = z.strictObject({
  about: Text,
  property_types: z.array(PropertyType).min(1),
  molecules: z.array(Molecule),
  mixtures: z.array(Mixture),
  toxicity_source: ToxicitySource.optional(),
  toxicity_endpoints: z.array(ToxicityEndpoint).optional(),
  toxicity: z.array(ToxicityRecord).optional(),
}).superRefine((file, ctx) => {
  if (file.toxicity?.length && !file.toxicity_source) {
    ctx.addIssue({ code: "custom", path: ["toxicity_source"], message: "toxicity records need their toxicity_source" });
  }
});

/** scripts/seed/demo.json: demo users, their teams, and each team's private records. */
export const DemoFile = z.strictObject({
  about: Text,
  users: z.array(z.strictObject({ key: Key, id: z.uuid(), email: z.email(), display_name: Text })).min(1),
  teams: z.array(z.strictObject({
    key: Key,
    name: Text,
    members: z.array(z.strictObject({ user: Key, role: TeamRole })).min(1),
  })),
  molecules: z.array(TeamMolecule),
  mixtures: z.array(TeamMixture),
}).superRefine((file, ctx) => {
  // References between the file's own records, so the generator never meets a dangling one.
  const users = new Set(file.users.map((u) => u.key));
  const members = new Map(file.teams.map((t) => [t.key, new Set(t.members.map((m) => m.user))]));
  const issue = (path, message) => ctx.addIssue({ code: "custom", path, message });
  file.teams.forEach((t, i) => t.members.forEach((m, j) => {
    if (!users.has(m.user)) issue(["teams", i, "members", j, "user"], `unknown user ${m.user}`);
  }));
  for (const list of ["molecules", "mixtures"]) {
    file[list].forEach((r, i) => {
      if (!members.has(r.team)) issue([list, i, "team"], `unknown team ${r.team}`);
      else if (!members.get(r.team).has(r.created_by)) issue([list, i, "created_by"], `${r.created_by} is not a member of ${r.team}`);
    });
  }
});

/** scripts/seed/known-bad.json: wrong records from older datasets, each with why it must be rejected. */
export const KnownBadFile = z.strictObject({
  about: Text,
  molecules: z.array(z.strictObject({ ...moleculeFields, ...expectRejection }).superRefine(needsSmiles)),
  mixtures: z.array(z.strictObject({ ...mixtureFields, ...expectRejection })),
});

/** --- Reading --- */

/** A data file that does not fit its schema; `issues` are zod's, `message` lists them one a line. */
export class SeedFileError extends Error {
  constructor(file, data, issues) {
    const where = (path) => {
      const rec = path.length >= 2 ? data?.[path[0]]?.[path[1]] : undefined;
      const p = path.map((s) => (typeof s === "number" ? `[${s}]` : `.${String(s)}`)).join("").replace(/^\./, "");
      return rec?.key ? `${p} (record ${rec.key})` : p || "(file)";
    };
    super(`${file}: ${issues.length} problem(s):\n${issues.map((i) => `  - ${where(i.path)}: ${i.message}`).join("\n")}`);
    this.name = "SeedFileError";
    this.issues = issues;
  }
}

/**
 * Reads a JSON data file and parses it with `schema`; returns the typed data. Throws SeedFileError naming
 * every problem (zod path, the record's key, zod's message), or SyntaxError for a file that is not JSON.
 */
export function readSeedFile(path, schema) {
  const data = JSON.parse(readFileSync(path, "utf8"));
  const r = schema.safeParse(data);
  if (!r.success) throw new SeedFileError(path, data, r.error.issues);
  return r.data;
}
