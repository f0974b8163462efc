// The composed estimate: VS55 end to end, and a composition whose density is unknown.
import assert from "node:assert/strict";
import { estimateMixture, type MixtureEstimateInput } from "./estimate.ts";
import { MixtureInputError } from "./errors.ts";
import { LD50, MW, RHO_ASSUMED } from "./_cases.ts";

const VS55 = (rho: number | null): MixtureEstimateInput => ({
  solution_density: rho,
  water: "remainder",
  components: [
    { name: "DMSO", value: 3.1, unit: "M", mw: MW.DMSO, smiles: "CS(C)=O", penetrating: true, toxicity: LD50.DMSO },
    {
      name: "formamide",
      value: 3.1,
      unit: "M",
      mw: MW.formamide,
      smiles: "NC=O",
      penetrating: true,
      toxicity: LD50.formamide,
    },
    {
      name: "1,2-propanediol",
      value: 2.2,
      unit: "M",
      mw: MW.PG12,
      smiles: "CC(O)CO",
      penetrating: true,
      toxicity: LD50.PG12,
    },
  ],
});

Deno.test("VS55 end to end (ρ 1.05 ASSUMED): the same figures as the parts' tests", async () => {
  const r = await estimateMixture(VS55(RHO_ASSUMED.VS55));
  assert.ok(Math.abs(r.acute_oral!.estimate.ate_mix! - 52.31025714285715 / 0.00412321349910079) < 1e-6); // no carrier named
  assert.ok(Math.abs(r.qv!.qv_star! - 2.6222503259862067) < 1e-9);
  assert.deepEqual(r.interactions.flags.map((f) => f.components), [["DMSO", "formamide"]]);
  assert.deepEqual(r.not_computed, []);
  // The vehicle named as the carrier: 100 / ATE = 0.00412321350 → 24,252.93 mg/kg (ghs.test.ts)
  const named = await estimateMixture({
    ...VS55(RHO_ASSUMED.VS55),
    carrier: { name: "Euro-Collins", reason: "aqueous vehicle" },
  });
  assert.ok(Math.abs(named.acute_oral!.estimate.ate_mix! - 24252.927970333934) < 1e-6);
  assert.equal(named.acute_oral!.components[3].status, "carrier");
  assert.ok(Math.abs(named.acute_oral!.components[3].percent_w_w - 47.68974285714285) < 1e-9);
});

Deno.test("unknown solution density: no estimate and no qv*, each saying why; the pairs still answer", async () => {
  const r = await estimateMixture(VS55(null));
  assert.equal(r.acute_oral, null);
  assert.equal(r.qv, null);
  assert.deepEqual(r.not_computed.map((n) => n.part), ["acute_oral", "qv"]);
  assert.match(r.not_computed[0].reason, /DMSO: M → % w\/w needs the solution density/);
  assert.equal(r.interactions.flags.length, 1);
  const noMw = VS55(1.05);
  noMw.components[0].mw = undefined;
  await assert.rejects(
    estimateMixture(noMw),
    (e) => e instanceof MixtureInputError && e.code === "MOLECULAR_WEIGHT_REQUIRED",
  );
});
