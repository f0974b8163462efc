// Conversions to and from % w/w against hand arithmetic; every density is an input and is named in the result.
import assert from "node:assert/strict";
import { computeStructure, isFailure, rdkit } from "../toxicity/structures.ts";
import { type Conversion, fromWeightPercent, toWeightPercent } from "./concentration.ts";
import { MixtureInputError } from "./errors.ts";
import { MW, RHO_ASSUMED, RHO_PURE_ASSUMED } from "./_cases.ts";

const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);
const pct = (c: Conversion) => {
  assert.ok(c.ok, `${c.name}: ${!c.ok && c.reason}`);
  return c.percent_w_w;
};
const code = (c: string) => (e: unknown) => e instanceof MixtureInputError && e.code === c;

Deno.test("the test MWs are RDKit's", async () => {
  const R = await rdkit();
  const smiles = {
    DMSO: "CS(C)=O",
    formamide: "NC=O",
    PG12: "CC(O)CO",
    EG: "OCCO",
    glycerol: "OCC(O)CO",
    NMF: "CNC=O",
    MPD: "COCC(O)CO",
    water: "O",
  };
  for (const [k, s] of Object.entries(smiles)) {
    const st = computeStructure(R, s);
    assert.ok(!isFailure(st));
    assert.equal(st.molecular_weight, MW[k as keyof typeof MW], k);
  }
});

Deno.test("VS55: M → % w/w with the solution density as an input (ρ = 1.05 g/mL ASSUMED)", () => {
  const out = toWeightPercent([
    { name: "DMSO", value: 3.1, unit: "M", mw: MW.DMSO },
    { name: "formamide", value: 3.1, unit: "M", mw: MW.formamide },
    { name: "1,2-propanediol", value: 2.2, unit: "M", mw: MW.PG12 },
  ], RHO_ASSUMED.VS55);
  // w% = c × MW / (10 ρ):
  close(pct(out[0]), 23.068723809523810); // 3.1 × 78.136 = 242.2216 g/L; / 10.5
  close(pct(out[1]), 13.297819047619047); // 3.1 × 45.041 = 139.6271 g/L; / 10.5
  close(pct(out[2]), 15.943714285714288); // 2.2 × 76.095 = 167.409 g/L;  / 10.5
  // 549.2577 g/L of CPA = 54.9 % w/v: the "55" of VS55 (cpa-facts.md: ≈ 55 % w/v), a check of the molarities.
  close((3.1 * MW.DMSO + 3.1 * MW.formamide + 2.2 * MW.PG12) / 10, 54.92577);
  assert.ok(out[0].ok && out[0].assumed.solution_density_g_per_ml === 1.05 && out[0].assumed.mw_g_per_mol === MW.DMSO);
});

Deno.test("without the density, M, % w/v and % v/v are not converted, and say why", () => {
  const out = toWeightPercent([
    { name: "DMSO", value: 3.1, unit: "M", mw: MW.DMSO },
    { name: "EG", value: 16.837, unit: "% w/v" },
    { name: "PG", value: 10, unit: "% v/v" },
    { name: "salt", value: 1, unit: "% w/w" },
  ]);
  assert.deepEqual(out.map((c) => c.ok ? "ok" : c.missing.join("+")), [
    "solution_density",
    "solution_density",
    "solution_density+component_density",
    "ok",
  ]);
  assert.ok(!out[2].ok && /pure component's density/.test(out[2].reason));
  const withRho = toWeightPercent([{ name: "PG", value: 10, unit: "% v/v" }], 1.0);
  assert.deepEqual(withRho[0].ok ? null : withRho[0].missing, ["component_density"]);
});

Deno.test("% w/v, % v/v and mol/kg by hand", () => {
  close(pct(toWeightPercent([{ name: "DMSO", value: 22.305, unit: "% w/v" }], 1.07)[0]), 22.305 / 1.07); // 20.8458
  // 15 % v/v EG: 15 mL × 1.113 g/mL = 16.695 g per 100 mL = 103 g → 16.2087 % w/w
  const vv = toWeightPercent([
    { name: "EG", value: 15, unit: "% v/v", density: RHO_PURE_ASSUMED.EG },
    { name: "DMSO", value: 15, unit: "% v/v", density: RHO_PURE_ASSUMED.DMSO },
  ], RHO_ASSUMED.binary);
  close(pct(vv[0]), 16.208737864077670);
  close(pct(vv[1]), 16.019417475728154); // 15 × 1.100 / 1.03
  assert.ok(
    vv[0].ok && vv[0].assumed.component_density_g_per_ml === 1.113 && vv[0].assumed.solution_density_g_per_ml === 1.03,
  );
  // Warner 2022 (cpa-facts.md, V): 7.4 mol/kg glycerol + 1.4 DMSO + 2.4 formamide per kg of water:
  // 681.4956 + 109.3904 + 108.0984 = 898.9844 g of solutes per 1000 g water; basis 1898.9844 g.
  const m = toWeightPercent([
    { name: "glycerol", value: 7.4, unit: "mol/kg", mw: MW.glycerol },
    { name: "DMSO", value: 1.4, unit: "mol/kg", mw: MW.DMSO },
    { name: "formamide", value: 2.4, unit: "mol/kg", mw: MW.formamide },
  ]);
  close(pct(m[0]), 100 * 681.4956 / 1898.9844);
  close(pct(m[1]), 100 * 109.3904 / 1898.9844);
  close(pct(m[2]), 100 * 108.0984 / 1898.9844);
  // One molal component among others cannot be placed on a mass basis:
  const mixed = toWeightPercent([
    { name: "glycerol", value: 7.4, unit: "mol/kg", mw: MW.glycerol },
    { name: "DMSO", value: 10, unit: "% w/w" },
  ], 1.1);
  assert.deepEqual(mixed[0].ok ? null : mixed[0].missing, ["all_solutes_in_mol_per_kg"]);
});

Deno.test("back from % w/w: the inverse of each conversion, with its inputs", () => {
  const m = fromWeightPercent("DMSO", 23.068723809523810, "M", { mw: MW.DMSO, solutionDensity: 1.05 });
  assert.ok(m.ok);
  close(m.value, 3.1);
  const wv = fromWeightPercent("DMSO", 20.845794392523363, "% w/v", { solutionDensity: 1.07 });
  assert.ok(wv.ok);
  close(wv.value, 22.305);
  const vv = fromWeightPercent("EG", 16.208737864077670, "% v/v", { solutionDensity: 1.03, density: 1.113 });
  assert.ok(vv.ok);
  close(vv.value, 15);
  const glyW = 100 * 681.4956 / 1898.9844;
  const mk = fromWeightPercent("glycerol", glyW, "mol/kg", {
    mw: MW.glycerol,
    totalSolutesPercentWW: 100 * 898.9844 / 1898.9844,
  });
  assert.ok(mk.ok);
  close(mk.value, 7.4);
  const no = fromWeightPercent("DMSO", 20, "% v/v", { solutionDensity: 1.07 });
  assert.deepEqual(no.ok ? null : no.missing, ["component_density"]);
  assert.equal(fromWeightPercent("DMSO", 20, "mol/kg", { mw: MW.DMSO }).ok, false);
});

Deno.test("bad input is a typed error naming the problem, never NaN", () => {
  const one = (c: Record<string, unknown>, rho?: number) => () =>
    toWeightPercent([{ name: "X", value: 1, unit: "% w/w", ...c } as never], rho);
  assert.throws(one({ unit: "mM" }), (e) => code("UNKNOWN_UNIT")(e) && /"mM"/.test((e as Error).message));
  assert.throws(one({ unit: "%" }), code("UNKNOWN_UNIT")); // w/w, w/v or v/v: never guessed
  assert.throws(one({ unit: undefined }), code("UNKNOWN_UNIT"));
  assert.throws(one({ value: -1 }), code("NON_POSITIVE_CONCENTRATION"));
  assert.throws(one({ value: 0 }), code("NON_POSITIVE_CONCENTRATION"));
  assert.throws(one({ value: NaN }), code("NOT_A_NUMBER"));
  assert.throws(one({ value: "3" }), code("NOT_A_NUMBER"));
  assert.throws(one({ value: 100.5 }), code("PERCENT_OVER_100"));
  assert.throws(one({ value: 101, unit: "% w/v" }), code("PERCENT_OVER_100"));
  assert.throws(
    one({ value: 3.1, unit: "M" }, 1.05),
    (e) => code("MOLECULAR_WEIGHT_REQUIRED")(e) && /^X: /.test((e as Error).message),
  );
  assert.throws(one({ value: 3.1, unit: "M", mw: 0 }, 1.05), code("MOLECULAR_WEIGHT_REQUIRED"));
  assert.throws(one({ value: 1, unit: "mol/kg" }), code("MOLECULAR_WEIGHT_REQUIRED")); // even without a density
  assert.throws(one({ value: 3, unit: "M", mw: 78 }, 0), code("INVALID_DENSITY"));
  assert.throws(one({ value: 3, unit: "% v/v", density: -1 }, 1), code("INVALID_DENSITY"));
  assert.throws(() => toWeightPercent([]), code("EMPTY_MIXTURE"));
  assert.throws(() => toWeightPercent([{ name: " ", value: 1, unit: "% w/w" }]), code("MISSING_NAME"));
  assert.throws(
    () => toWeightPercent([{ name: "A", value: 60, unit: "% w/w" }, { name: "A", value: 1, unit: "% w/w" }]),
    code("DUPLICATE_COMPONENT"),
  );
  // 8.4 M DMSO at ρ 0.5 is 131 % w/w: the density cannot be right.
  assert.throws(
    () => toWeightPercent([{ name: "DMSO", value: 8.4, unit: "M", mw: MW.DMSO }], 0.5),
    code("PERCENT_OVER_100"),
  );
  assert.throws(() => fromWeightPercent("X", 10, "ppm"), code("UNKNOWN_UNIT"));
});
