// Structure checks for the seed data: every small molecule's identifiers and descriptors are computed here
// with RDKit (@rdkit/rdkit, the WASM build), never taken on trust from the data file. A record whose given
// formula, InChIKey or molecular weight disagrees with its SMILES is rejected, never silently corrected:
// older CPA datasets carry exactly such records (ethylene glycol's structure filed as polyvinyl alcohol).
// Mixtures are checked against the molecules they name and against the totals their source states.
import { readFileSync } from "node:fs";
import initRDKitModule from "@rdkit/rdkit";

/** --- Vocabularies (the data-model contract) --- */

export const KINDS = ["small_molecule", "polymer"];
export const CONFIDENCE = ["V", "V2", "C", "U"];
export const UNITS = ["M", "mol/kg", "% w/v", "% v/v"];
export const ROLES = ["penetrating", "non_penetrating", "carrier"];
export const QUALIFIERS = ["=", "<", "<=", ">", ">=", "~"];
export const INCHIKEY_RE = /^[A-Z]{14}-[A-Z]{10}-[A-Z]$/;
const KEY_RE = /^[a-z0-9_]+$/;

// A stated total is exact ('=') or approximate ('~'); sources round to 0.1 M or 1 % w/v.
const TOLERANCE = { "=": { abs: 0.01, rel: 0.005 }, "~": { abs: 0.05, rel: 0.03 } };
// Average molecular weights are quoted to 2 decimals; RDKit's differ from PubChem's in the 3rd.
const MW_TOLERANCE = { abs: 0.05, rel: 0.0005 };

/** --- RDKit --- */

let rdkitPromise;
/** The RDKit module, initialised once per process (≈ 150 ms). */
export function rdkit() {
  rdkitPromise ??= initRDKitModule().then((R) => {
    // Parse errors are reported as rejections; RDKit's own stderr chatter would only duplicate them.
    R.disable_logging?.();
    return R;
  });
  return rdkitPromise;
}

const ELEMENTS = ["", "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
  "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr",
  "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe"];

/** Hill formula (C, H, then alphabetical; alphabetical throughout without carbon) and net charge. */
function hillFormula(molJson) {
  const doc = JSON.parse(molJson);
  const d = doc.defaults.atom;
  const counts = new Map();
  let charge = 0;
  const add = (el, n) => counts.set(el, (counts.get(el) ?? 0) + n);
  for (const a of doc.molecules[0].atoms) {
    const z = a.z ?? d.z;
    if (!ELEMENTS[z]) throw new Error(`element ${z} outside the supported range`);
    add(ELEMENTS[z], 1);
    const h = a.impHs ?? d.impHs;
    if (h) add("H", h);
    charge += a.chg ?? d.chg;
  }
  const order = counts.has("C")
    ? ["C", ...(counts.has("H") ? ["H"] : []), ...[...counts.keys()].filter((e) => e !== "C" && e !== "H").sort()]
    : [...counts.keys()].sort();
  const formula = order.map((e) => `${e}${counts.get(e) === 1 ? "" : counts.get(e)}`).join("");
  return { formula, charge };
}

const round = (x, digits) => Number(x.toFixed(digits));

/**
 * Everything we store about a structure, computed from its SMILES. Returns null for an unparsable SMILES.
 * Rounding is fixed so that generation is byte-for-byte reproducible.
 */
export function computeStructure(R, smiles) {
  const mol = R.get_mol(smiles);
  if (!mol) return null;
  try {
    if (!mol.is_valid()) return null;
    const desc = JSON.parse(mol.get_descriptors());
    const inchi = mol.get_inchi();
    const { formula, charge } = hillFormula(mol.get_json());
    return {
      canonical_smiles: mol.get_smiles(),
      inchi,
      inchikey: R.get_inchikey_for_inchi(inchi),
      formula,
      charge,
      molecular_weight: round(desc.amw, 3),
      exact_mass: round(desc.exactmw, 5),
      logp: round(desc.CrippenClogP, 4),
      tpsa: round(desc.tpsa, 2),
      hbd: desc.NumHBD,
      hba: desc.NumHBA,
      rotatable_bonds: desc.NumRotatableBonds,
      stereo_centers: desc.NumAtomStereoCenters,
      unspecified_stereo_centers: desc.NumUnspecifiedAtomStereoCenters,
    };
  } finally {
    mol.delete();
  }
}

/** CAS registry numbers carry a check digit: a typo is caught here rather than stored. */
export function casValid(cas) {
  const m = /^(\d{2,7})-(\d{2})-(\d)$/.exec(cas);
  if (!m) return false;
  const digits = (m[1] + m[2]).split("").reverse();
  const sum = digits.reduce((s, d, i) => s + Number(d) * (i + 1), 0);
  return sum % 10 === Number(m[3]);
}

/** --- Rejections --- */

export class DatasetError extends Error {
  constructor(rejections) {
    super(`${rejections.length} record(s) rejected:\n${rejections.map((r) => `  - ${r.message}`).join("\n")}`);
    this.name = "DatasetError";
    this.rejections = rejections;
  }
}

function rejection(what, rec, field, rule, message, given, computed) {
  const label = `${what} ${rec?.key ?? "?"} (${rec?.name ?? "unnamed"})`;
  const gc = given !== undefined || computed !== undefined
    ? `: given ${JSON.stringify(given)}, computed ${JSON.stringify(computed)}` : "";
  return { record: rec?.key, name: rec?.name, kind: what, field, rule, given, computed,
    message: `${label}: ${field}: ${message}${gc}` };
}

const near = (a, b, tol) => Math.abs(a - b) <= Math.max(tol.abs, tol.rel * Math.abs(b));
const isText = (s) => typeof s === "string" && s.trim().length > 0;

/** --- Molecules --- */

function checkProperty(rec, p, i, propertyTypes, out) {
  const f = `properties[${i}]`;
  if (!propertyTypes.has(p.type)) out.push(rejection("molecule", rec, `${f}.type`, "unknown_property_type", `unknown property type ${JSON.stringify(p.type)}`));
  if (typeof p.value !== "number" || !Number.isFinite(p.value)) out.push(rejection("molecule", rec, `${f}.value`, "invalid", "value must be a finite number"));
  if (!isText(p.unit)) out.push(rejection("molecule", rec, `${f}.unit`, "missing", "every value needs its unit"));
  if (!QUALIFIERS.includes(p.qualifier ?? "=")) out.push(rejection("molecule", rec, `${f}.qualifier`, "invalid", `qualifier must be one of ${QUALIFIERS.join(" ")}`));
  if (!CONFIDENCE.includes(p.confidence)) out.push(rejection("molecule", rec, `${f}.confidence`, "invalid", `confidence must be one of ${CONFIDENCE.join(" ")}`));
  if (!isText(p.source)) out.push(rejection("molecule", rec, `${f}.source`, "missing", "every value needs its source"));
}

/**
 * Checks one molecule record; returns { molecule, rejections }. `molecule` carries the computed fields.
 * `seen` maps InChIKey → record already accepted (this data set or the reference), for duplicate structures.
 */
export function checkMolecule(R, rec, { propertyTypes, seen }) {
  const out = [];
  const kind = rec.kind ?? "small_molecule";
  if (!isText(rec.key) || !KEY_RE.test(rec.key)) out.push(rejection("molecule", rec, "key", "invalid", "key must match [a-z0-9_]+"));
  if (!isText(rec.name)) out.push(rejection("molecule", rec, "name", "missing", "name is required"));
  if (!KINDS.includes(kind)) out.push(rejection("molecule", rec, "kind", "invalid", `kind must be one of ${KINDS.join(", ")}`));
  if (!CONFIDENCE.includes(rec.confidence)) out.push(rejection("molecule", rec, "confidence", "invalid", `confidence must be one of ${CONFIDENCE.join(" ")}`));
  if (!isText(rec.source)) out.push(rejection("molecule", rec, "source", "missing", "source is required (provenance)"));
  if (rec.cas != null && !casValid(rec.cas)) out.push(rejection("molecule", rec, "cas", "invalid", `CAS number ${rec.cas} fails its check digit`));
  if (rec.pubchem_cid != null && !(Number.isInteger(rec.pubchem_cid) && rec.pubchem_cid > 0)) out.push(rejection("molecule", rec, "pubchem_cid", "invalid", "PubChem CID must be a positive integer"));
  if (rec.synonyms != null && !(Array.isArray(rec.synonyms) && rec.synonyms.every(isText))) out.push(rejection("molecule", rec, "synonyms", "invalid", "synonyms must be a list of strings"));
  (rec.properties ?? []).forEach((p, i) => checkProperty(rec, p, i, propertyTypes, out));

  let computed = null;
  if (kind === "small_molecule" && !isText(rec.smiles)) {
    out.push(rejection("molecule", rec, "smiles", "missing", "a small molecule needs a SMILES"));
  } else if (isText(rec.smiles)) {
    computed = computeStructure(R, rec.smiles);
    if (!computed) {
      out.push(rejection("molecule", rec, "smiles", "unparsable", `RDKit cannot parse SMILES ${JSON.stringify(rec.smiles)}`));
    } else {
      if (rec.formula != null && rec.formula !== computed.formula) {
        out.push(rejection("molecule", rec, "formula", "mismatch", "formula disagrees with the structure", rec.formula, computed.formula));
      }
      if (rec.inchikey != null) {
        if (!INCHIKEY_RE.test(rec.inchikey)) out.push(rejection("molecule", rec, "inchikey", "invalid", "not an InChIKey", rec.inchikey, computed.inchikey));
        else if (rec.inchikey !== computed.inchikey) out.push(rejection("molecule", rec, "inchikey", "mismatch", "InChIKey disagrees with the structure", rec.inchikey, computed.inchikey));
      }
      if (rec.molecular_weight != null && !near(rec.molecular_weight, computed.molecular_weight, MW_TOLERANCE)) {
        out.push(rejection("molecule", rec, "molecular_weight", "mismatch", "molecular weight disagrees with the structure", rec.molecular_weight, computed.molecular_weight));
      }
      if (computed.charge !== 0) out.push(rejection("molecule", rec, "smiles", "charged", `net charge ${computed.charge}; store the neutral compound`));
      // Sucrose without its stereo is a different (and ambiguous) record; racemates must say so.
      if (computed.unspecified_stereo_centers > 0 && !isText(rec.stereo)) {
        out.push(rejection("molecule", rec, "smiles", "unspecified_stereo",
          `${computed.unspecified_stereo_centers} stereocentre(s) unspecified; give an isomeric SMILES or state why in "stereo"`));
      }
      const other = seen.get(computed.inchikey);
      if (other && other.key !== rec.key) {
        out.push(rejection("molecule", rec, "inchikey", "duplicate_structure",
          `same structure (InChIKey ${computed.inchikey}) as ${other.key} (${other.name})`));
      }
    }
  }
  const molecule = computed ? { ...rec, kind, computed } : { ...rec, kind, computed: null };
  return { molecule, rejections: out };
}

/** --- Mixtures --- */

/**
 * A component's concentration expressed in `unit`, or null if that needs more than the molecular weight
 * (molal and % v/v need densities). Used only to check a stated total, never to store a converted value.
 */
function inUnit(c, unit, mw) {
  if (c.unit === unit) return c.concentration;
  if (mw == null) return null;
  // mol/L × g/mol = g/L, and g/L ÷ 10 = g/100 mL = % w/v.
  if (c.unit === "M" && unit === "% w/v") return (c.concentration * mw) / 10;
  if (c.unit === "% w/v" && unit === "M") return (c.concentration * 10) / mw;
  return null;
}

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
 * Checks one mixture record. `molecules` maps key → checked molecule (those the mixture may use);
 * `reference` maps lower-cased name → a verified mixture whose composition a same-named record must match.
 */
export function checkMixture(rec, { molecules, reference }) {
  const out = [];
  const rj = (field, rule, msg, g, c) => out.push(rejection("mixture", rec, field, rule, msg, g, c));
  if (!isText(rec.key) || !KEY_RE.test(rec.key)) rj("key", "invalid", "key must match [a-z0-9_]+");
  if (!isText(rec.name)) rj("name", "missing", "name is required");
  if (!CONFIDENCE.includes(rec.confidence)) rj("confidence", "invalid", `confidence must be one of ${CONFIDENCE.join(" ")}`);
  if (!isText(rec.source)) rj("source", "missing", "source is required (provenance)");
  const comps = rec.components ?? [];
  if (!comps.length) rj("components", "missing", "a mixture needs components");
  const used = new Set();
  let componentsOk = true;
  comps.forEach((c, i) => {
    const f = `components[${i}]`;
    if (!molecules.has(c.molecule)) { rj(`${f}.molecule`, "unknown_molecule", `references unknown molecule ${JSON.stringify(c.molecule)}`); componentsOk = false; }
    if (used.has(c.molecule)) rj(`${f}.molecule`, "duplicate_component", `${c.molecule} listed twice`);
    used.add(c.molecule);
    if (!UNITS.includes(c.unit)) { rj(`${f}.unit`, "invalid", `unit must be one of ${UNITS.join(", ")}`, c.unit); componentsOk = false; }
    if (!ROLES.includes(c.role)) rj(`${f}.role`, "invalid", `role must be one of ${ROLES.join(", ")}`, c.role);
    if (!(typeof c.concentration === "number" && c.concentration > 0)) { rj(`${f}.concentration`, "invalid", "concentration must be a number > 0", c.concentration); componentsOk = false; }
  });
  if (componentsOk) {
    for (const unit of ["% w/v", "% v/v"]) {
      const s = comps.filter((c) => c.unit === unit).reduce((a, c) => a + c.concentration, 0);
      if (s > 100 + 1e-9) rj("components", "exceeds_100", `${unit} components sum to ${round(s, 4)} %, more than 100 %`);
    }
    (rec.totals ?? []).forEach((t, i) => {
      const f = `totals[${i}]`;
      if (!UNITS.includes(t.unit)) return rj(`${f}.unit`, "invalid", `unit must be one of ${UNITS.join(", ")}`, t.unit);
      if (!TOLERANCE[t.qualifier ?? "="]) return rj(`${f}.qualifier`, "invalid", "qualifier must be '=' or '~'", t.qualifier);
      const parts = comps.map((c) => inUnit(c, t.unit, molecules.get(c.molecule)?.computed?.molecular_weight));
      if (parts.some((p) => p == null)) return; // not comparable without densities: nothing to check
      const sum = round(parts.reduce((a, p) => a + p, 0), 4);
      if (!near(sum, t.value, TOLERANCE[t.qualifier ?? "="])) {
        const how = comps.every((c) => c.unit === t.unit) ? "components sum" : "components (via molecular weight) sum";
        rj("totals", "sum_mismatch", `stated total ${t.qualifier ?? "="} ${t.value} ${t.unit} but ${how} to ${sum} ${t.unit}`, t.value, sum);
      }
    });
  }
  const ref = reference?.get(rec.name?.toLowerCase());
  if (ref && ref.key !== rec.key) {
    const diffs = compositionDiff(rec, ref);
    if (diffs.length) rj("components", "reference_conflict", `conflicts with the cited composition of ${ref.name} (${ref.citation}): ${diffs.join("; ")}`);
  }
  return { mixture: rec, rejections: out };
}

/** --- Data sets --- */

/**
 * Checks a whole data set (the shape of cpas.json; demo.json molecules/mixtures carry a `team`). Returns
 * { propertyTypes, molecules, mixtures, rejections } and never throws for bad records.
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
    const scopedName = `${rec.team ?? ""}/${rec.name?.toLowerCase()}`;
    if (names.has(scopedName)) rs.push(rejection("mixture", rec, "name", "duplicate", "name already used"));
    names.add(scopedName);
    rejections.push(...rs);
    if (!rs.length) mixtures.push(mixture);
  }
  return { propertyTypes: [...propertyTypes.values()], molecules, mixtures, rejections };
}

/** Reads and checks a data file; throws DatasetError naming every rejected record. */
export async function loadVerifiedDataset(path, { reference } = {}) {
  const data = JSON.parse(readFileSync(path, "utf8"));
  const r = await checkDataset(data, { reference });
  if (r.rejections.length) throw new DatasetError(r.rejections);
  return { ...r, about: data.about, users: data.users, teams: data.teams };
}
