// What we store about a small molecule, computed from its SMILES with RDKit (@rdkit/rdkit, the WASM build):
// canonical SMILES, InChI, InChIKey, molecular formula, masses and descriptors. Nothing here is taken on
// trust from a data file; callers compare what a file claims against these values.
import initRDKitModule from "@rdkit/rdkit";

let rdkitPromise;
/** The RDKit module, initialised once per process (≈ 150 ms). */
export function rdkit() {
  rdkitPromise ??= initRDKitModule().then((R) => {
    // Parse errors are reported by the callers; RDKit's own stderr chatter would only duplicate them.
    R.disable_logging?.();
    return R;
  });
  return rdkitPromise;
}

/**
 * The formula layer of a standard InChI ("InChI=1S/C2H6OS/c…" → "C2H6OS"): Hill order (C, H, then
 * alphabetical; alphabetical throughout without carbon), disconnected components joined by ".". For a
 * charged structure InChI gives the formula of its neutral parent (the charge moves to the /q and /p
 * layers), which is why computeStructure reports the net charge separately.
 */
function inchiFormula(inchi) {
  const layer = inchi.split("/")[1];
  if (!layer) throw new Error(`InChI without a formula layer: ${inchi}`);
  return layer;
}

/** Net formal charge: the sum of the atoms' charges in RDKit's JSON (commonchem) form. */
function netCharge(molJson) {
  const doc = JSON.parse(molJson);
  const fallback = doc.defaults.atom.chg;
  return doc.molecules[0].atoms.reduce((sum, a) => sum + (a.chg ?? fallback), 0);
}

const round = (x, digits) => Number(x.toFixed(digits));

/**
 * Everything we store about a structure, computed from its SMILES; null when RDKit cannot parse it.
 * Returns { canonical_smiles, inchi, inchikey, formula, charge, molecular_weight (g/mol, 3 decimals),
 * exact_mass (Da, 5 decimals), logp (Crippen, 4 decimals), tpsa (Å², 2 decimals), hbd, hba,
 * rotatable_bonds, stereo_centers, unspecified_stereo_centers }. The rounding is fixed so that the seed
 * generated from these values is byte-for-byte reproducible. `R` is the module from rdkit().
 */
export function computeStructure(R, smiles) {
  const mol = R.get_mol(smiles);
  if (!mol) return null;
  try {
    if (!mol.is_valid()) return null;
    const desc = JSON.parse(mol.get_descriptors());
    const inchi = mol.get_inchi();
    return {
      canonical_smiles: mol.get_smiles(),
      inchi,
      inchikey: R.get_inchikey_for_inchi(inchi),
      formula: inchiFormula(inchi),
      charge: netCharge(mol.get_json()),
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
