// Structures with RDKit (WASM, in Deno) and the resolution order as a pure function.
import assert from "node:assert/strict";
import { type Candidate, computeStructure, isFailure, rdkit, resolveMolecule } from "./structures.ts";

Deno.test("RDKit loads in Deno and computes DMSO's identifiers", async () => {
  const R = await rdkit();
  const s = computeStructure(R, "CS(C)=O");
  assert.ok(!isFailure(s));
  assert.equal(s.inchikey, "IAZDPXIOMUYVGZ-UHFFFAOYSA-N");
  assert.equal(s.inchi, "InChI=1S/C2H6OS/c1-4(2)3/h1-2H3");
  assert.equal(s.canonical_smiles, "CS(C)=O");
  assert.equal(s.molecular_weight, 78.136);
  assert.equal(s.components, 1);
});

Deno.test("a multi-component SMILES is recognised and keeps its own InChIKey (never the parent's)", async () => {
  const R = await rdkit();
  const salt = computeStructure(R, "CC(=O)[O-].[Na+]");
  const parent = computeStructure(R, "CC(=O)O");
  assert.ok(!isFailure(salt) && !isFailure(parent));
  assert.equal(salt.components, 2);
  assert.notEqual(salt.inchikey, parent.inchikey);
});

Deno.test("unparseable structures are failures with a reason, not exceptions", async () => {
  const R = await rdkit();
  for (const bad of ["C1CC", "not a smiles", "", "C(C)(C)(C)(C)C"]) {
    const s = computeStructure(R, bad);
    assert.ok(isFailure(s), bad);
    assert.match(s.error, /SMILES|InChI/);
  }
});

const mols: Candidate[] = [
  {
    id: "dmso",
    inchikey: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N",
    cas: ["67-68-5"],
    dtxsid: "DTXSID2021735",
    pubchem_cid: 679,
    names: ["DMSO", "dimethyl sulfoxide"],
  },
  { id: "sucrose", inchikey: "CZMRCDWAGMRECN-UGDNZRGBSA-N", cas: ["57-50-1"], names: ["sucrose"] },
  {
    id: "glycerol",
    inchikey: "PEDCQBHIVMGVHV-UHFFFAOYSA-N",
    cas: ["56-81-5"],
    dtxsid: "DTXSID9020663",
    names: ["glycerol", "glycerin"],
  },
  { id: "glycerin-dup", names: ["glycerin"] },
];

Deno.test("resolution order: InChIKey, CAS, DTXSID, CID, SMILES, skeleton (flagged), name", () => {
  const m = (id: string, by: string, flagged = false) => ({ status: "matched", id, by, flagged });
  assert.deepEqual(
    resolveMolecule({ inchikey: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", cas: "56-81-5" }, mols),
    m("dmso", "inchikey"),
  );
  assert.deepEqual(resolveMolecule({ cas: "56-81-5", dtxsid: "DTXSID2021735" }, mols), m("glycerol", "cas"));
  assert.deepEqual(resolveMolecule({ cas: "64-17-5", dtxsid: "DTXSID2021735" }, mols), m("dmso", "dtxsid"));
  assert.deepEqual(resolveMolecule({ pubchem_cid: 679 }, mols), m("dmso", "pubchem_cid"));
  assert.deepEqual(
    resolveMolecule({ smiles: "OCC(O)CO" }, mols, "PEDCQBHIVMGVHV-UHFFFAOYSA-N"),
    m("glycerol", "smiles"),
  );
  // LD50_Zhu's sucrose has no stereo: only the skeleton matches, and the match is flagged
  assert.deepEqual(
    resolveMolecule({ smiles: "OCC1OC(OC2(CO)OC(CO)C(O)C2O)C(O)C(O)C1O" }, mols, "CZMRCDWAGMRECN-UHFFFAOYSA-N"),
    m("sucrose", "skeleton", true),
  );
  assert.deepEqual(resolveMolecule({ name: " Dimethyl Sulfoxide" }, mols), m("dmso", "name"));
  assert.deepEqual(resolveMolecule({ name: "glycerin" }, mols), {
    status: "ambiguous",
    by: "name",
    ids: ["glycerin-dup", "glycerol"],
  });
  assert.deepEqual(resolveMolecule({ name: "water" }, mols), { status: "unresolved" });
  assert.deepEqual(resolveMolecule({}, mols), { status: "unresolved" });
});

Deno.test("malformed identifiers and a SMILES contradicting the stated InChIKey are invalid, not guessed", () => {
  assert.equal((resolveMolecule({ cas: "67-68-4" }, mols) as { field: string }).field, "cas");
  assert.equal((resolveMolecule({ inchikey: "IAZDPXIOMUYVGZ" }, mols) as { field: string }).field, "inchikey");
  assert.equal((resolveMolecule({ dtxsid: "2021735" }, mols) as { field: string }).field, "dtxsid");
  assert.equal((resolveMolecule({ pubchem_cid: -1 }, mols) as { field: string }).field, "pubchem_cid");
  assert.equal((resolveMolecule({ smiles: "C1CC" }, mols, null) as { field: string }).field, "smiles");
  const r = resolveMolecule(
    { inchikey: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", smiles: "OCC(O)CO" },
    mols,
    "PEDCQBHIVMGVHV-UHFFFAOYSA-N",
  );
  assert.equal(r.status, "invalid");
});

Deno.test("the MW summed from atoms equals RDKit's descriptor amw (charged, multi-component, explicit H, isotopes)", async () => {
  const R = await rdkit();
  const cases = [
    "CS(C)=O",
    "CC(=O)[O-].[Na+]",
    "[2H]OC",
    "[13CH3]O",
    "Cl[Pt]Cl.N.N",
    "O.O.[Cu+2].[O-]S(=O)(=O)[O-]",
    "c1ccccc1[N+](=O)[O-]",
    "[H][H]",
    "OCC1OC(OC2(CO)OC(CO)C(O)C2O)C(O)C(O)C1O",
  ];
  for (const smi of cases) {
    const s = computeStructure(R, smi);
    assert.ok(!isFailure(s), smi);
    const m = R.get_mol(smi);
    assert.equal(s.molecular_weight, Number(JSON.parse(m.get_descriptors()).amw.toFixed(3)), smi);
    m.delete();
  }
});
