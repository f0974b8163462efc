// Fahy's qv* from structures: polar groups counted by RDKit SMARTS, terms against hand arithmetic.
import assert from "node:assert/strict";
import { MixtureInputError } from "./errors.ts";
import { POLAR_GROUPS, type PolarGroup, polarGroups, qvStar } from "./qv.ts";
import { RHO_ASSUMED } from "./_cases.ts";
import { toWeightPercent } from "./concentration.ts";

const close = (a: number | null, b: number, tol = 1e-9) => {
  assert.ok(a !== null, "null");
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);
};
const code = (c: string) => (e: unknown) => e instanceof MixtureInputError && e.code === c;

Deno.test("polar groups per molecule by the stated rule (hydroxyl, sulfoxide, amide per carbonyl; ethers not)", async () => {
  const expect: [string, string, number, Record<string, number>, number][] = [
    ["DMSO", "CS(C)=O", 1, { hydroxyl: 0, sulfoxide: 1, amide: 0 }, 0],
    ["DMSO, charge-separated", "C[S+](C)[O-]", 1, { hydroxyl: 0, sulfoxide: 1, amide: 0 }, 0],
    ["formamide", "NC=O", 1, { hydroxyl: 0, sulfoxide: 0, amide: 1 }, 0],
    ["N-methylformamide", "CNC=O", 1, { hydroxyl: 0, sulfoxide: 0, amide: 1 }, 0],
    ["acetamide", "CC(N)=O", 1, { hydroxyl: 0, sulfoxide: 0, amide: 1 }, 0],
    ["urea", "NC(N)=O", 1, { hydroxyl: 0, sulfoxide: 0, amide: 1 }, 0],
    ["ethylene glycol", "OCCO", 2, { hydroxyl: 2, sulfoxide: 0, amide: 0 }, 0],
    ["1,2-propanediol", "CC(O)CO", 2, { hydroxyl: 2, sulfoxide: 0, amide: 0 }, 0],
    ["glycerol", "OCC(O)CO", 3, { hydroxyl: 3, sulfoxide: 0, amide: 0 }, 0],
    ["3-methoxy-1,2-propanediol", "COCC(O)CO", 2, { hydroxyl: 2, sulfoxide: 0, amide: 0 }, 1],
    ["diethylene glycol", "OCCOCCO", 2, { hydroxyl: 2, sulfoxide: 0, amide: 0 }, 1],
  ];
  for (const [name, smiles, total, groups, ether] of expect) {
    const g = await polarGroups(smiles);
    assert.deepEqual([g.total, g.groups, g.ether], [total, groups, ether], name);
  }
  await assert.rejects(polarGroups("C1CC", POLAR_GROUPS, "broken"), code("INVALID_STRUCTURE"));
});

function vs55() {
  const conv = toWeightPercent([
    { name: "DMSO", value: 3.1, unit: "M", mw: 78.136 },
    { name: "formamide", value: 3.1, unit: "M", mw: 45.041 },
    { name: "1,2-propanediol", value: 2.2, unit: "M", mw: 76.095 },
  ], RHO_ASSUMED.VS55);
  const w = conv.map((c) => c.ok ? c.percent_w_w : NaN);
  return [
    { name: "DMSO", percent_w_w: w[0], smiles: "CS(C)=O", penetrating: true },
    { name: "formamide", percent_w_w: w[1], smiles: "NC=O", penetrating: true },
    { name: "1,2-propanediol", percent_w_w: w[2], smiles: "CC(O)CO", penetrating: true },
  ];
}

Deno.test("VS55 qv* (ρ 1.05 ASSUMED; water = the remainder, so Euro-Collins' solutes count as water)", async () => {
  const r = await qvStar(vs55(), "remainder");
  // per 100 g: nᵢ = wᵢ / MWᵢ = cᵢ / (10 ρ): DMSO 3.1/10.5 = 0.2952381, formamide 0.2952381, PG 2.2/10.5 = 0.2095238
  // polar groups: 0.2952381 × 1 + 0.2952381 × 1 + 0.2095238 × 2 = 1.0095238 mol / 100 g
  // water: (100 − 52.310257) / 18.015 = 2.6472241 mol / 100 g
  // qv* = 2.6472241 / 1.0095238 = 2.6222503
  close(r.terms[0].term, 3.1 / 10.5);
  close(r.terms[2].term, (2.2 / 10.5) * 2);
  close(r.water.mol_per_100g, 2.6472241386146464);
  close(r.qv_star, 2.6222503259862067);
  assert.equal(r.water.basis, "remainder");
  assert.match(r.water.note, /upper bound/);
  assert.equal(r.rule.confidence, "U");
  // The amide rule matters: counting formamide's C=O and N–H as two groups gives 2.0289.
  const twoPerAmide: PolarGroup[] = [
    POLAR_GROUPS[0],
    POLAR_GROUPS[1],
    { name: "amide carbonyl", smarts: "[CX3](=[OX1])[#7X3]", anchor: 0 },
    { name: "amide N-H", smarts: "[#7X3;!H0][CX3]=[OX1]", anchor: 0 },
  ];
  const alt = await qvStar(vs55(), "remainder", twoPerAmide);
  close(alt.qv_star, 2.6472241386146464 / (3.1 / 10.5 + 2 * 3.1 / 10.5 + 2 * 2.2 / 10.5)); // 2.0288944
});

Deno.test("M22 qv* (% w/v of cpa-facts.md, label U; ρ 1.07 ASSUMED): polymers not counted, with the reason", async () => {
  const r = await qvStar([
    { name: "DMSO", percent_w_w: 22.305 / 1.07, smiles: "CS(C)=O", penetrating: true },
    { name: "formamide", percent_w_w: 12.858 / 1.07, smiles: "NC=O", penetrating: true },
    { name: "ethylene glycol", percent_w_w: 16.837 / 1.07, smiles: "OCCO", penetrating: true },
    { name: "N-methylformamide", percent_w_w: 3 / 1.07, smiles: "CNC=O", penetrating: true },
    { name: "3-methoxy-1,2-propanediol", percent_w_w: 4 / 1.07, smiles: "COCC(O)CO", penetrating: true },
    { name: "PVP K12", percent_w_w: 2.8 / 1.07, penetrating: false, reason: "polymer" },
    { name: "X-1000", percent_w_w: 1 / 1.07, penetrating: false, reason: "polymer (ice blocker)" },
    { name: "Z-1000", percent_w_w: 2 / 1.07, penetrating: false, reason: "polymer (ice blocker)" },
  ], "remainder");
  // groups per 100 g: 20.845794/78.136 + 12.016822/45.041 + 2 × 15.735514/62.068 + 2.803738/59.068
  //                   + 2 × 3.738318/106.121 = 0.2667887 + 0.2667974 + 0.5070412 + 0.0474663 + 0.0704541
  //                   = 1.1585473 (the methoxy ether of 3-methoxy-1,2-propanediol not counted)
  // water: (100 − 60.560748) / 18.015 = 39.439252 / 18.015 = 2.1892452;  qv* = 2.1892452 / 1.1585473 = 1.8896468
  close(r.terms.reduce((s, t) => s + t.term, 0), 1.1585472926147131);
  close(r.qv_star, 1.889646816491674);
  assert.deepEqual(r.not_counted.map((n) => n.name), ["PVP K12", "X-1000", "Z-1000"]);
  assert.match(r.not_counted[0].reason, /not penetrating: polymer/);
  assert.equal(r.terms[4].ether_oxygens_not_counted, 1);
});

Deno.test("qv* with water given; bad input is a typed error", async () => {
  // 40 % w/w glycerol + 60 % water: (60/18.015) / (40/92.094 × 3) = 3.3305579 / 1.3030164 = 2.5560465
  const r = await qvStar([{ name: "glycerol", percent_w_w: 40, smiles: "OCC(O)CO", penetrating: true }], 60);
  close(r.qv_star, (60 / 18.015) / ((40 / 92.094) * 3));
  assert.equal(r.water.basis, "given");
  await assert.rejects(
    qvStar([{ name: "X", percent_w_w: 10, penetrating: true }], "remainder"),
    code("INVALID_STRUCTURE"),
  );
  await assert.rejects(
    qvStar([{ name: "X", percent_w_w: -1, smiles: "CO", penetrating: true }], 50),
    code("NON_POSITIVE_CONCENTRATION"),
  );
  await assert.rejects(
    qvStar([{ name: "X", percent_w_w: 60, smiles: "CO", penetrating: true }], 50),
    code("PERCENT_OVER_100"),
  );
  await assert.rejects(
    qvStar([{ name: "X", percent_w_w: 100, smiles: "CO", penetrating: true }], "remainder"),
    code("NON_POSITIVE_CONCENTRATION"),
  );
  await assert.rejects(qvStar([], 50), code("EMPTY_MIXTURE"));
  const none = await qvStar([{ name: "PVP", percent_w_w: 10, penetrating: false, reason: "polymer" }], "remainder");
  assert.equal(none.qv_star, null);
});
