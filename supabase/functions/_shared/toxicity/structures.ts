// Structures: what RDKit (@rdkit/rdkit, the WASM build of RDKit_minimal, which loads in Deno in ≈ 200 ms)
// computes from a SMILES, and the one order in which a record's identifiers are resolved to a molecule.
// Identity is computed, never taken from the record: a SMILES and an InChIKey that disagree are refused.
import initRDKitModule from "@rdkit/rdkit";
import { casValid, DTXSID_RE, INCHIKEY_RE, inchikeySkeleton } from "../identifiers.mjs";

// deno-lint-ignore no-explicit-any
type RDKit = any;
let rdkitPromise: Promise<RDKit> | undefined;

/** The RDKit module, initialised once per isolate. */
export function rdkit(): Promise<RDKit> {
  rdkitPromise ??= (initRDKitModule as unknown as () => Promise<RDKit>)().then((R: RDKit) => {
    R.disable_logging?.(); // parse failures are reported as rejections; RDKit's stderr would only repeat them
    R.__atomicWeights = atomicWeights(R);
    return R;
  });
  return rdkitPromise;
}

const ELEMENTS = ("H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr " +
  "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W " +
  "Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn " +
  "Nh Fl Mc Lv Ts Og").split(" ");

/**
 * RDKit's own average atomic weight of each element (index = atomic number), read once from RDKit by
 * weighing a bare atom: get_descriptors() computes ~40 descriptors (≈ 1 ms a molecule, more than half of
 * the work per structure), and we need only the weight, summed from the atoms' JSON.
 */
function atomicWeights(R: RDKit): number[] {
  const w: number[] = [0];
  for (const sym of ELEMENTS) {
    const m = R.get_mol(`[${sym}]`);
    w.push(m ? JSON.parse(m.get_descriptors()).amw : NaN);
    m?.delete();
  }
  return w;
}

/** Average MW from RDKit's JSON (atoms with implicit H counts); null when an atom carries an isotope label. */
function weightFromJson(json: string, w: number[]): number | null {
  const doc = JSON.parse(json);
  const d = doc.defaults.atom;
  let sum = 0;
  for (const mol of doc.molecules) {
    for (const a of mol.atoms) {
      if ((a.isotope ?? d.isotope) !== 0) return null;
      const z = a.z ?? d.z;
      const wz = w[z];
      if (!(wz > 0)) return null;
      sum += wz + (a.impHs ?? d.impHs) * w[1];
    }
  }
  return sum;
}

/** What we compute from a SMILES. */
export interface Structure {
  /** RDKit canonical SMILES. */
  canonical_smiles: string;
  inchi: string;
  inchikey: string;
  /** Average molecular weight, g/mol, of the whole structure (every component). */
  molecular_weight: number;
  /** Number of disconnected components ("." in the SMILES): > 1 for salts, hydrates, formulations. */
  components: number;
}

/** A structure RDKit could not read, with the reason (stored as a rejected row). */
export interface StructureFailure {
  error: string;
}

/**
 * The structure a SMILES describes, or the reason it has none. `R` is the module from rdkit(). Never throws
 * for bad input: an empty SMILES, one RDKit cannot parse, and one without an InChI are failures.
 */
export function computeStructure(R: RDKit, smiles: string): Structure | StructureFailure {
  if (!smiles.trim()) return { error: "empty SMILES" };
  let mol: RDKit = null;
  try {
    mol = R.get_mol(smiles);
  } catch (e) {
    return { error: `RDKit cannot parse the SMILES (${String((e as Error)?.message ?? e)})` };
  }
  if (!mol) return { error: "RDKit cannot parse the SMILES" };
  try {
    if (!mol.is_valid()) return { error: "RDKit cannot parse the SMILES" };
    const inchi: string = mol.get_inchi();
    if (!inchi) return { error: "RDKit computes no InChI for the structure" };
    const inchikey: string = R.get_inchikey_for_inchi(inchi);
    if (!INCHIKEY_RE.test(inchikey)) return { error: "RDKit computes no InChIKey for the structure" };
    const canonical: string = mol.get_smiles();
    const mw = weightFromJson(mol.get_json(), R.__atomicWeights) ?? JSON.parse(mol.get_descriptors()).amw;
    return {
      canonical_smiles: canonical,
      inchi,
      inchikey,
      molecular_weight: Number(mw.toFixed(3)),
      components: canonical.split(".").length,
    };
  } finally {
    mol.delete();
  }
}

export const isFailure = (s: Structure | StructureFailure): s is StructureFailure => "error" in s;

// ---------------------------------------------------------------------------------------------------------
// Resolution: a record's identifiers against the molecules we know.

/** Identifiers a record states. Any may be absent. */
export interface Identifiers {
  inchikey?: string | null;
  cas?: string | null;
  dtxsid?: string | null;
  pubchem_cid?: number | null;
  smiles?: string | null;
  name?: string | null;
}

/** A molecule we already know, as the resolver sees it. */
export interface Candidate {
  id: string;
  inchikey?: string | null;
  cas?: string[];
  dtxsid?: string | null;
  pubchem_cid?: number | null;
  names?: string[];
}

/** The resolution order, first to last. */
export const RESOLUTION_ORDER = ["inchikey", "cas", "dtxsid", "pubchem_cid", "smiles", "skeleton", "name"] as const;
export type ResolvedBy = typeof RESOLUTION_ORDER[number];

export type Resolution =
  /** One molecule matched; `flagged` when only the InChIKey skeleton (first block) matched. */
  | { status: "matched"; id: string; by: ResolvedBy; flagged: boolean }
  /** The first identifier that matched anything matched several molecules: no guess. */
  | { status: "ambiguous"; by: ResolvedBy; ids: string[] }
  | { status: "unresolved" }
  /** An identifier is malformed, or the SMILES contradicts the stated InChIKey. */
  | { status: "invalid"; field: keyof Identifiers; reason: string };

/**
 * Resolves `query` against `candidates` in RESOLUTION_ORDER: exact InChIKey; CAS (check digit validated);
 * DTXSID; PubChem CID; the InChIKey computed from the SMILES (`smilesInchikey`, from computeStructure: the
 * caller computes it so this stays pure); the skeleton (first InChIKey block) of the stated or computed
 * InChIKey, flagged; a case-insensitive name or synonym. The first identifier that matches anything decides.
 * A stated InChIKey that contradicts the SMILES's is invalid, never silently preferred.
 */
export function resolveMolecule(
  query: Identifiers,
  candidates: Candidate[],
  smilesInchikey?: string | null,
): Resolution {
  if (query.inchikey != null && !INCHIKEY_RE.test(query.inchikey)) {
    return { status: "invalid", field: "inchikey", reason: "not an InChIKey" };
  }
  if (query.cas != null && !casValid(query.cas)) {
    return { status: "invalid", field: "cas", reason: "not a CAS registry number, or its check digit is wrong" };
  }
  if (query.dtxsid != null && !DTXSID_RE.test(query.dtxsid)) {
    return { status: "invalid", field: "dtxsid", reason: "not a DTXSID" };
  }
  if (query.pubchem_cid != null && !(Number.isSafeInteger(query.pubchem_cid) && query.pubchem_cid > 0)) {
    return { status: "invalid", field: "pubchem_cid", reason: "not a positive integer" };
  }
  if (query.smiles != null && !smilesInchikey) {
    return { status: "invalid", field: "smiles", reason: "the SMILES has no computed InChIKey" };
  }
  if (query.inchikey != null && smilesInchikey && query.inchikey !== smilesInchikey) {
    return {
      status: "invalid",
      field: "inchikey",
      reason: `the SMILES gives ${smilesInchikey}, not the stated InChIKey`,
    };
  }
  const key = query.inchikey ?? smilesInchikey ?? null;
  const name = query.name?.trim().toLowerCase();
  const tests: Record<ResolvedBy, ((c: Candidate) => boolean) | null> = {
    inchikey: query.inchikey != null ? (c) => c.inchikey === query.inchikey : null,
    cas: query.cas != null ? (c) => (c.cas ?? []).includes(query.cas!) : null,
    dtxsid: query.dtxsid != null ? (c) => c.dtxsid === query.dtxsid : null,
    pubchem_cid: query.pubchem_cid != null ? (c) => c.pubchem_cid === query.pubchem_cid : null,
    smiles: smilesInchikey ? (c) => c.inchikey === smilesInchikey : null,
    skeleton: key ? (c) => c.inchikey != null && inchikeySkeleton(c.inchikey) === inchikeySkeleton(key) : null,
    name: name ? (c) => (c.names ?? []).some((n) => n.trim().toLowerCase() === name) : null,
  };
  for (const by of RESOLUTION_ORDER) {
    const t = tests[by];
    if (!t) continue;
    const hits = [...new Set(candidates.filter(t).map((c) => c.id))];
    if (hits.length === 1) return { status: "matched", id: hits[0], by, flagged: by === "skeleton" };
    if (hits.length > 1) return { status: "ambiguous", by, ids: hits.sort() };
  }
  return { status: "unresolved" };
}
