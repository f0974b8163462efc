// Known pairs of cpa-facts.md flagged with citation and evidence label; every other pair named as without data.
import assert from "node:assert/strict";
import { computeStructure, isFailure, rdkit } from "../toxicity/structures.ts";
import { MixtureInputError } from "./errors.ts";
import { EVIDENCE_SCALE, flagInteractions, KNOWN_PAIRS } from "./interactions.ts";

Deno.test("every pair of the table is two different, readable structures", async () => {
  const R = await rdkit();
  for (const p of KNOWN_PAIRS) {
    const [a, b] = [computeStructure(R, p.a.smiles), computeStructure(R, p.b.smiles)];
    assert.ok(!isFailure(a) && !isFailure(b), `${p.a.name} + ${p.b.name}`);
    assert.notEqual(a.inchikey, b.inchikey);
    assert.ok(p.evidence in EVIDENCE_SCALE);
  }
});

Deno.test("VS55: DMSO + formamide flagged (Fahy 2010, V); the other pairs named as without data", async () => {
  const r = await flagInteractions([
    { name: "DMSO", smiles: "CS(C)=O" },
    { name: "formamide", inchikey: "ZHNUHDYFZUAESO-UHFFFAOYSA-N" }, // as the database would hold it
    { name: "1,2-propanediol", smiles: "CC(O)CO" },
  ]);
  assert.deepEqual(r.flags, [{
    components: ["DMSO", "formamide"],
    kind: "neutralization",
    finding: "DMSO reduces formamide toxicity",
    citation: "Fahy GM (2010) Cryobiology 60:S45 (cryoprotectant toxicity neutralization)",
    evidence: "V",
  }]);
  assert.deepEqual(r.no_data, [["DMSO", "1,2-propanediol"], ["formamide", "1,2-propanediol"]]);
  assert.deepEqual(r.unidentified, []);
});

Deno.test("glycerol + formamide: both findings (Warner 2021 neutralization; Higgins 2025 less toxic binary)", async () => {
  const r = await flagInteractions([{ name: "glycerol", smiles: "C(O)C(O)CO" }, { name: "formamide", smiles: "O=CN" }]);
  assert.deepEqual(r.flags.map((f) => [f.kind, f.citation]), [
    ["neutralization", "Warner RM et al. (2021) Cryobiology 98:219"],
    ["less toxic binary", "Higgins lab 2025 binary CPA toxicity screen (cpa-facts.md)"],
  ]);
});

Deno.test("DMSO + urea, DMSO + acetamide, DMSO + 1,3-propanediol; a polymer without structure is unidentified", async () => {
  const r = await flagInteractions([
    { name: "DMSO", smiles: "CS(C)=O" },
    { name: "urea", smiles: "NC(N)=O" },
    { name: "acetamide", smiles: "CC(N)=O" },
    { name: "1,3-propanediol", smiles: "OCCCO" },
    { name: "PVP K12" },
  ]);
  assert.deepEqual(r.flags.map((f) => f.components.join(" + ")), [
    "DMSO + urea",
    "DMSO + acetamide",
    "DMSO + 1,3-propanediol",
  ]);
  assert.deepEqual(r.unidentified, ["PVP K12"]);
  assert.equal(r.no_data.length, 3); // urea+acetamide, urea+PD13, acetamide+PD13
  await assert.rejects(
    flagInteractions([{ name: "bad", smiles: "C1CC" }]),
    (e) => e instanceof MixtureInputError && e.code === "INVALID_STRUCTURE",
  );
});
