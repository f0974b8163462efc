// The checks a seed record must pass beyond its shape (schema.mjs): every small molecule's identifiers and
// descriptors are computed with RDKit (scripts/chemistry/), never taken on trust from the data file. A
// record whose given formula, InChIKey or molecular weight disagrees with its SMILES is rejected, never
// silently corrected: older CPA datasets carry exactly such records (ethylene glycol's structure filed as
// polyvinyl alcohol). Mixtures are checked against the molecules they name and the totals their source states.
import { convertConcentration } from "../chemistry/concentration.mjs";
import { computeStructure, rdkit } from "../chemistry/structure.mjs";
import { readSeedFile } from "./schema.mjs";
import { normalizeToxicity, recordKey } from "./toxicity.mjs";

// A stated total is exact ('=') or approximate ('~'); sources round to 0.1 M or 1 % w/v.
const TOLERANCE = { "=": { abs: 0.01, rel: 0.005 }, "~": { abs: 0.05, rel: 0.03 } };
// Average molecular weights are quoted to 2 decimals; RDKit's differ from PubChem's in the 3rd.
const MW_TOLERANCE = { abs: 0.05, rel: 0.0005 };

/** --- Rejections --- */

/** A data file whose records fail the checks; `rejections` as checkDataset returns them. */
export class DatasetError extends Error {
  constructor(rejections) {
    super(`${rejections.length} record(s) rejected:\n${rejections.map((r) => `  - ${r.message}`).join("\n")}`);
    this.name = "DatasetError";
    this.rejections = rejections;
  }
}

function rejection(what, rec, field, rule, message, given, computed) {
  const label = `${what} ${rec.key} (${rec.name})`;
  const gc = given !== undefined || computed !== undefined
    ? `: given ${JSON.stringify(given)}, computed ${JSON.stringify(computed)}` : "";
  return { record: rec.key, field, rule, given, computed, message: `${label}: ${field}: ${message}${gc}` };
}

const near = (a, b, tol) => Math.abs(a - b) <= Math.max(tol.abs, tol.rel * Math.abs(b));
const round = (x, digits) => Number(x.toFixed(digits));

/** --- Molecules --- */

/**
 * Checks one molecule record (as schema.mjs gives it); returns { molecule, rejections }. `molecule` carries
 * the computed fields (`computed`, null for a polymer). `propertyTypes` maps code → property type; `seen`
 * maps InChIKey → record already accepted (this data set or the reference), for duplicate structures.
 */
function checkMolecule(R, rec, { propertyTypes, seen }) {
  const out = [];
  const rj = (field, rule, msg, g, c) => out.push(rejection("molecule", rec, field, rule, msg, g, c));
  (rec.properties ?? []).forEach((p, i) => {
    if (!propertyTypes.has(p.type)) rj(`properties[${i}].type`, "unknown_property_type", `unknown property type ${JSON.stringify(p.type)}`);
  });
  const kind = rec.kind ?? "small_molecule";
  let computed = null;
  if (rec.smiles !== undefined) {
    computed = computeStructure(R, rec.smiles);
    if (!computed) rj("smiles", "unparsable", `RDKit cannot parse SMILES ${JSON.stringify(rec.smiles)}`);
  }
  if (computed) {
    if (rec.formula !== undefined && rec.formula !== computed.formula) {
      rj("formula", "mismatch", "formula disagrees with the structure", rec.formula, computed.formula);
    }
    if (rec.inchikey !== undefined && rec.inchikey !== computed.inchikey) {
      rj("inchikey", "mismatch", "InChIKey disagrees with the structure", rec.inchikey, computed.inchikey);
    }
    if (rec.molecular_weight !== undefined && !near(rec.molecular_weight, computed.molecular_weight, MW_TOLERANCE)) {
      rj("molecular_weight", "mismatch", "molecular weight disagrees with the structure", rec.molecular_weight, computed.molecular_weight);
    }
    if (computed.charge !== 0) rj("smiles", "charged", `net charge ${computed.charge}; store the neutral compound`);
    // Sucrose without its stereo is a different (and ambiguous) record; racemates must say so.
    if (computed.unspecified_stereo_centers > 0 && rec.stereo === undefined) {
      rj("smiles", "unspecified_stereo",
        `${computed.unspecified_stereo_centers} stereocentre(s) unspecified; give an isomeric SMILES or state why in "stereo"`);
    }
    const other = seen.get(computed.inchikey);
    if (other && other.key !== rec.key) {
      rj("inchikey", "duplicate_structure", `same structure (InChIKey ${computed.inchikey}) as ${other.key} (${other.name})`);
    }
  }
  return { molecule: { ...rec, kind, computed }, rejections: out };
}

/** --- Mixtures --- */

function compositionDiff(a, b) {
  const diffs = [];
  const mapB = new Map(b.components.map((c) => [c.molecule, c]));
  const mapA = new Map(a.components.map((c) => [c.molecule, c]));
  for (const c of a.components) {
    const r = mapB.get(c.molecule);
    if (!r) diffs.push(`${c.molecule} is not in the reference`);
    else if (r.unit !== c.unit || !near(c.concentration, r.concentration, TOLERANCE["="])) {
      diffs.push(`${c.molecule} ${c.concentration} ${c.unit} vs reference ${r.concentration} ${r.unit}`);
    }
  }
  for (const r of b.components) if (!mapA.has(r.molecule)) diffs.push(`${r.molecule} (${r.concentration} ${r.unit}) missing`);
  return diffs;
}

/**
 * Checks one mixture record (as schema.mjs gives it). `molecules` maps key → checked molecule (those the
 * mixture may use); `reference` maps lower-cased name → a verified mixture whose composition a same-named
 * record must match.
 */
function checkMixture(rec, { molecules, reference }) {
  const out = [];
  const rj = (field, rule, msg, g, c) => out.push(rejection("mixture", rec, field, rule, msg, g, c));
  const comps = rec.components;
  const used = new Set();
  let known = true;
  comps.forEach((c, i) => {
    const f = `components[${i}].molecule`;
    if (!molecules.has(c.molecule)) { rj(f, "unknown_molecule", `references unknown molecule ${JSON.stringify(c.molecule)}`); known = false; }
    if (used.has(c.molecule)) rj(f, "duplicate_component", `${c.molecule} listed twice`);
    used.add(c.molecule);
  });
  if (known) {
    for (const unit of ["% w/v", "% v/v"]) {
      const s = comps.filter((c) => c.unit === unit).reduce((a, c) => a + c.concentration, 0);
      if (s > 100 + 1e-9) rj("components", "exceeds_100", `${unit} components sum to ${round(s, 4)} %, more than 100 %`);
    }
    for (const t of rec.totals ?? []) {
      const qualifier = t.qualifier ?? "=";
      const parts = comps.map((c) => convertConcentration(c.concentration, c.unit, t.unit, molecules.get(c.molecule).computed?.molecular_weight));
      if (parts.some((p) => p == null)) continue; // not comparable without densities: nothing to check
      const sum = round(parts.reduce((a, p) => a + p, 0), 4);
      if (!near(sum, t.value, TOLERANCE[qualifier])) {
        const how = comps.every((c) => c.unit === t.unit) ? "components sum" : "components (via molecular weight) sum";
        rj("totals", "sum_mismatch", `stated total ${qualifier} ${t.value} ${t.unit} but ${how} to ${sum} ${t.unit}`, t.value, sum);
      }
    }
  }
  const ref = reference.get(rec.name.toLowerCase());
  if (ref && ref.key !== rec.key) {
    const diffs = compositionDiff(rec, ref);
    if (diffs.length) rj("components", "reference_conflict", `conflicts with the cited composition of ${ref.name} (${ref.citation}): ${diffs.join("; ")}`);
  }
  return { mixture: rec, rejections: out };
}

/** --- Curated toxicity values --- */

// The endpoints the migrations create (20261130050100_toxicity_reference.sql); a data file may add others.
export const MIGRATION_ENDPOINTS = ["acute_oral_toxicity", "cytotoxicity", "nuclear_receptor_activity", "stress_response",
  "genotoxicity", "bioactivity"];

/**
 * Checks one curated toxicity record against the checked molecules (key → molecule) and the known endpoint
 * codes; returns { record (with qualifier, value, unit, conversion, inchikey, record_key), rejections }.
 * Rejected: an unknown molecule or endpoint, a molecule without a structure (no InChIKey to key it by), a
 * raw value that does not normalize (unknown unit or qualifier by name, not a positive number), and a value
 * that contradicts the molecule's own property of the same route and species (the two are one fact).
 */
function checkToxicity(rec, { molecules, endpoints, source }) {
  const out = [];
  const named = { key: rec.key, name: `${rec.molecule} ${rec.value_type}` };
  const rj = (field, rule, msg, g, c) => out.push(rejection("toxicity record", named, field, rule, msg, g, c));
  const m = molecules.get(rec.molecule);
  if (!m) rj("molecule", "unknown_molecule", `references unknown molecule ${JSON.stringify(rec.molecule)}`);
  else if (!m.computed) rj("molecule", "no_structure", `${rec.molecule} has no structure to key the record by`);
  if (!endpoints.has(rec.endpoint)) rj("endpoint", "unknown_endpoint", `unknown endpoint ${JSON.stringify(rec.endpoint)}`);
  const n = normalizeToxicity(rec);
  if (n.error) rj("raw_value", "not_normalizable", n.error);
  if (out.length) return { record: null, rejections: out };
  const prop = (m.properties ?? []).find((p) => p.type === `ld50_${rec.route}` && (p.species ?? null) === (rec.species ?? null));
  if (prop && (prop.unit !== n.unit || !near(n.value, prop.value, { abs: 0, rel: 1e-9 }) || (prop.qualifier ?? "=") !== n.qualifier)) {
    rj("raw_value", "property_conflict", `contradicts ${rec.molecule}'s ${prop.type} property`,
      `${n.qualifier} ${n.value} ${n.unit}`, `${prop.qualifier ?? "="} ${prop.value} ${prop.unit}`);
    return { record: null, rejections: out };
  }
  const inchikey = m.computed.inchikey;
  const record_key = recordKey({ ...rec, source, inchikey });
  return { record: { ...rec, ...n, inchikey, record_key }, rejections: out };
}

/** --- Data sets --- */

/**
 * Checks a whole data set (records as schema.mjs gives them; demo records carry a `team`). Returns
 * { propertyTypes, molecules, mixtures, rejections } and never throws for bad records. Each rejection is
 * { record, field, rule, given?, computed?, message }, the message naming record and field.
 * `reference`: an already verified data set whose molecules may be used and whose structures and named
 * mixtures must not be contradicted.
 */
export async function checkDataset(data, { reference } = {}) {
  const R = await rdkit();
  const rejections = [];
  const propertyTypes = new Map();
  for (const t of data.property_types ?? reference?.propertyTypes ?? []) {
    if (propertyTypes.has(t.code)) rejections.push(rejection("property type", { key: t.code, name: t.name }, "code", "duplicate", "listed twice"));
    propertyTypes.set(t.code, t);
  }
  const seen = new Map();
  const known = new Map();
  for (const m of reference?.molecules ?? []) {
    known.set(m.key, m);
    if (m.computed && !m.team) seen.set(m.computed.inchikey, m);
  }
  const molecules = [];
  for (const rec of data.molecules ?? []) {
    // Team-private structures may repeat public or other teams' ones (uniqueness holds among public rows).
    const scope = rec.team ? new Map([...seen].filter(([, m]) => m.team === rec.team)) : seen;
    const { molecule, rejections: rs } = checkMolecule(R, rec, { propertyTypes, seen: scope });
    if (known.has(rec.key)) rs.push(rejection("molecule", rec, "key", "duplicate", "key already used"));
    rejections.push(...rs);
    if (!rs.length) {
      molecules.push(molecule);
      known.set(molecule.key, molecule);
      if (molecule.computed) seen.set(molecule.computed.inchikey, molecule);
    }
  }
  const refMixtures = new Map((reference?.mixtures ?? []).map((m) => [m.name.toLowerCase(), m]));
  const names = new Set();
  const mixtures = [];
  for (const rec of data.mixtures ?? []) {
    // A team's mixture may use public molecules and its own team's, never another team's.
    const usable = new Map([...known].filter(([, m]) => !m.team || m.team === rec.team));
    const { mixture, rejections: rs } = checkMixture(rec, { molecules: usable, reference: refMixtures });
    const scopedName = `${rec.team ?? ""}/${rec.name.toLowerCase()}`;
    if (names.has(scopedName)) rs.push(rejection("mixture", rec, "name", "duplicate", "name already used"));
    names.add(scopedName);
    rejections.push(...rs);
    if (!rs.length) mixtures.push(mixture);
  }
  const endpoints = new Set([...MIGRATION_ENDPOINTS, ...(data.toxicity_endpoints ?? []).map((e) => e.code)]);
  const toxicity = [];
  const keys = new Set();
  for (const rec of data.toxicity ?? []) {
    const { record, rejections: rs } = checkToxicity(rec, { molecules: known, endpoints, source: data.toxicity_source?.name });
    if (keys.has(rec.key)) rs.push(rejection("toxicity record", { key: rec.key, name: rec.molecule }, "key", "duplicate", "key already used"));
    keys.add(rec.key);
    if (record && toxicity.some((t) => t.record_key === record.record_key)) {
      rs.push(rejection("toxicity record", { key: rec.key, name: rec.molecule }, "record_key", "duplicate_record", "the same record twice"));
    }
    rejections.push(...rs);
    if (!rs.length) toxicity.push(record);
  }
  return {
    propertyTypes: [...propertyTypes.values()], molecules, mixtures, rejections,
    toxicitySource: data.toxicity_source ?? null, toxicityEndpoints: data.toxicity_endpoints ?? [], toxicity,
  };
}

/**
 * Reads a data file, parses it with `schema` (schema.mjs) and checks its records. Returns the checked data
 * set plus the file's users and teams. Throws SeedFileError (the file does not fit its schema) or
 * DatasetError (naming every rejected record).
 */
export async function loadVerifiedDataset(path, schema, { reference } = {}) {
  const data = readSeedFile(path, schema);
  const r = await checkDataset(data, { reference });
  if (r.rejections.length) throw new DatasetError(r.rejections);
  return { ...r, users: data.users, teams: data.teams };
}
