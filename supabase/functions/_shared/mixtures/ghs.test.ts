// The GHS additivity estimate against hand computations (the arithmetic is written beside each figure).
// Concentrations come from concentration.ts with the ASSUMED densities of _cases.ts; LD50s from
// cpa-facts.md (V / V2 only). A figure here checks the arithmetic and the rules, not the biology.
import assert from "node:assert/strict";
import { toWeightPercent } from "./concentration.ts";
import { MixtureInputError } from "./errors.ts";
import { chooseValue, estimateAcuteOral, ghsOralCategory, possibleCategories, type ToxComponent } from "./ghs.ts";
import { LD50, MW, RHO_ASSUMED, RHO_PURE_ASSUMED } from "./_cases.ts";

const close = (a: number | null, b: number, tol = 1e-9) => {
  assert.ok(a !== null, "null");
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≠ ${b}`);
};
const code = (c: string) => (e: unknown) => e instanceof MixtureInputError && e.code === c;
const ww = (...args: Parameters<typeof toWeightPercent>) =>
  toWeightPercent(...args).map((c) => {
    if (!c.ok) throw new Error(c.reason);
    return c.percent_w_w;
  });
const carrier = (name: string, percent: number): ToxComponent => ({
  name,
  percent_w_w: percent,
  role: "carrier",
  carrier_reason: "aqueous vehicle, presumed not acutely toxic (declared by the caller)",
  values: [],
});

Deno.test("GHS oral cut-offs and the categories a qualified ATE allows", () => {
  assert.deepEqual([5, 5.01, 50, 300, 2000, 2000.1, 5000, 5001].map(ghsOralCategory), [
    1,
    2,
    2,
    3,
    4,
    5,
    5,
    "not classified",
  ]);
  assert.deepEqual(possibleCategories(">", 8000), ["not classified"]);
  assert.deepEqual(possibleCategories(">", 200), [3, 4, 5, "not classified"]);
  assert.deepEqual(possibleCategories("<", 40), [1, 2]);
  assert.deepEqual(possibleCategories("<", 5), [1]);
});

Deno.test("VS55 (3.1 M DMSO + 3.1 M formamide + 2.2 M 1,2-propanediol, ρ 1.05 ASSUMED, Euro-Collins a declared carrier)", () => {
  const [d, f, p] = ww([
    { name: "DMSO", value: 3.1, unit: "M", mw: MW.DMSO },
    { name: "formamide", value: 3.1, unit: "M", mw: MW.formamide },
    { name: "1,2-propanediol", value: 2.2, unit: "M", mw: MW.PG12 },
  ], RHO_ASSUMED.VS55);
  // d = 23.068724, f = 13.297819, p = 15.943714 % w/w (concentration.test.ts); carrier 100 − 52.310257 = 47.689743
  const r = estimateAcuteOral([
    { name: "DMSO", percent_w_w: d, values: LD50.DMSO },
    { name: "formamide", percent_w_w: f, values: LD50.formamide },
    { name: "1,2-propanediol", percent_w_w: p, values: LD50.PG12 },
    carrier("Euro-Collins", 100 - d - f - p),
  ]);
  // 100 / ATE = 23.068724/14500 + 13.297819/7500 + 15.943714/21000
  //           = 0.00159094647 + 0.00177304254 + 0.00075922449 = 0.00412321350 → ATE = 24,252.93 mg/kg
  close(r.estimate.sum_terms, 0.00412321349910079);
  close(r.estimate.ate_mix, 24252.927970333934);
  assert.equal(r.estimate.qualifier, "=");
  assert.equal(r.estimate.category, "not classified");
  assert.equal(r.estimate.unknown_adjustment, false);
  // shares: 0.3859 DMSO, 0.4300 formamide, 0.1841 propanediol
  close(r.components[0].estimate_share, 0.0015909464696223317 / 0.00412321349910079);
  close(r.components[1].estimate_share, 0.0017730425396825396 / 0.00412321349910079);
  assert.equal(r.components[0].used?.tier, 1);
  assert.deepEqual(r.components[0].not_used, [{
    value: "LD50 3100 mg/kg (mouse, intravenous)",
    reason: "not an oral value",
  }]);
  assert.equal(r.components[2].used?.tier, 2, "the propanediol value is a dog's: flagged, not rat");
  assert.match(r.components[2].used!.why, /dog/);
  assert.equal(r.components[3].status, "carrier");
  // GHS classification: every ATE is above 5000 mg/kg, so no ingredient is in a category (GHS §3.1.3.6, include/ignore rules).
  assert.equal(r.ghs.category, "not classified");
  assert.equal(r.ghs.ate_mix, null);
  assert.ok(r.components.slice(0, 3).every((c) => /falls in no GHS category/.test(c.ghs_note!)));
  assert.deepEqual(r.missing, []);
  assert.equal(r.unknown_statement, null);
});

Deno.test("VS55 without a declared carrier: the unnamed 47.69 % is unknown toxicity (> 10 %: §3.1.3.6.2.3)", () => {
  const [d, f, p] = ww([
    { name: "DMSO", value: 3.1, unit: "M", mw: MW.DMSO },
    { name: "formamide", value: 3.1, unit: "M", mw: MW.formamide },
    { name: "1,2-propanediol", value: 2.2, unit: "M", mw: MW.PG12 },
  ], RHO_ASSUMED.VS55);
  const r = estimateAcuteOral([
    { name: "DMSO", percent_w_w: d, values: LD50.DMSO },
    { name: "formamide", percent_w_w: f, values: LD50.formamide },
    { name: "1,2-propanediol", percent_w_w: p, values: LD50.PG12 },
  ]);
  // (100 − 47.689743) / ATE = 0.00412321350 → ATE = 52.310257 / 0.00412321350 = 12,686.78 mg/kg
  close(r.unaccounted_percent, 47.68974285714285);
  assert.equal(r.estimate.unknown_adjustment, true);
  close(r.estimate.ate_mix, 52.31025714285715 / 0.00412321349910079);
  assert.match(r.missing[0], /not named by any component/);
});

Deno.test("M22 (% w/v of cpa-facts.md, label U; ρ 1.07 ASSUMED): four ingredients of unknown toxicity total 11.03 %", () => {
  const wv = { DMSO: 22.305, formamide: 12.858, EG: 16.837, NMF: 3, MPD: 4, PVP: 2.8, X1000: 1, Z1000: 2 };
  const w = ww(Object.entries(wv).map(([name, value]) => ({ name, value, unit: "% w/v" })), RHO_ASSUMED.M22);
  // each / 1.07: DMSO 20.845794, formamide 12.016822, EG 15.735514, NMF 2.803738, MPD 3.738318,
  // PVP 2.616822, X-1000 0.934579 (< 1 %: not relevant), Z-1000 1.869159; total 60.560748; LM5 39.439252
  const [dm, fo, eg, nmf, mpd, pvp, x, z] = w;
  const r = estimateAcuteOral([
    { name: "DMSO", percent_w_w: dm, values: LD50.DMSO },
    { name: "formamide", percent_w_w: fo, values: LD50.formamide },
    { name: "ethylene glycol", percent_w_w: eg, values: LD50.EG },
    // N-methylformamide's only value in cpa-facts.md (rat ≈ 4,000) is labelled U: not used, so unknown.
    { name: "N-methylformamide", percent_w_w: nmf, values: [] },
    { name: "3-methoxy-1,2-propanediol", percent_w_w: mpd, values: [] },
    { name: "PVP K12", percent_w_w: pvp, values: [] },
    { name: "X-1000", percent_w_w: x, values: [] },
    { name: "Z-1000", percent_w_w: z, values: [] },
    carrier("LM5", 100 - w.reduce((a, b) => a + b, 0)),
  ]);
  // unknown = 2.803738 + 3.738318 + 2.616822 + 1.869159 = 11.028037 % (> 10 %: adjusted)
  close(r.estimate.unknown_percent, 11.028037383177569);
  assert.equal(r.estimate.unknown_adjustment, true);
  // (100 − 11.028037) / ATE = 20.845794/14500 + 12.016822/7500 + 15.735514/5840
  //                         = 0.00143764099 + 0.00160224299 + 0.00269443733 = 0.00573432132
  // ATE = 88.971963 / 0.00573432132 = 15,515.69 mg/kg
  close(r.estimate.sum_terms, 0.005734321315209762);
  close(r.estimate.ate_mix, 15515.691871125611);
  assert.equal(r.estimate.category, "not classified");
  assert.equal(r.components[6].status, "not relevant (< 1 %)");
  assert.deepEqual(r.components.filter((c) => c.status === "unknown").map((c) => c.name), [
    "N-methylformamide",
    "3-methoxy-1,2-propanediol",
    "PVP K12",
    "Z-1000",
  ]);
  assert.equal(r.missing.length, 4);
  close(r.components[2].estimate_share, 0.0026944373319677376 / 0.005734321315209762); // ethylene glycol 47 %
  assert.equal(r.ghs.category, "not classified"); // no ingredient ≤ 5000 mg/kg

  // The same M22 if ethylene glycol were known only by a GHS category 4 record (Table 3.1.2: 500 mg/kg):
  // estimate: 88.971963 / (0.00143764099 + 0.00160224299 + 15.735514/500 = 0.03147102804) = 88.971963 / 0.03451091202
  //           = 2,578.08 mg/kg (~, category 5);  ghs sum (EG only): 88.971963 / 0.03147102804 = 2,827.11 (category 5)
  const cat4 = estimateAcuteOral(
    r.components.map((c) => ({
      name: c.name,
      percent_w_w: c.percent_w_w,
      role: c.status === "carrier" ? "carrier" as const : undefined,
      values: c.name === "ethylene glycol"
        ? [{ kind: "GHS_category" as const, category: 4 as const, species: null, route: "oral" }]
        : c.name === "DMSO"
        ? LD50.DMSO
        : c.name === "formamide"
        ? LD50.formamide
        : [],
    })),
  );
  close(
    cat4.estimate.ate_mix,
    88.97196261682244 / (0.0014376409925878182 + 0.0016022429906542056 + 15.735514018691587 / 500),
  );
  assert.equal(cat4.estimate.qualifier, "~");
  assert.equal(cat4.estimate.category, 5);
  close(cat4.ghs.ate_mix, 88.97196261682244 / (15.735514018691587 / 500));
  assert.equal(cat4.ghs.category, 5);
});

Deno.test("binary: 15 % v/v ethylene glycol + 15 % v/v DMSO (pure densities 1.113 / 1.100, solution 1.03, ASSUMED)", () => {
  const [eg, dm] = ww([
    { name: "ethylene glycol", value: 15, unit: "% v/v", density: RHO_PURE_ASSUMED.EG },
    { name: "DMSO", value: 15, unit: "% v/v", density: RHO_PURE_ASSUMED.DMSO },
  ], RHO_ASSUMED.binary);
  // EG 15 × 1.113 / 1.03 = 16.208738 % w/w; DMSO 15 × 1.100 / 1.03 = 16.019417 % w/w
  const r = estimateAcuteOral([
    { name: "ethylene glycol", percent_w_w: eg, values: LD50.EG },
    { name: "DMSO", percent_w_w: dm, values: LD50.DMSO },
    carrier("water", 100 - eg - dm),
  ]);
  // 100 / ATE = 16.208738/5840 + 16.019417/14500 = 0.00277546881 + 0.00110478741 = 0.00388025622 → 25,771.49
  close(r.estimate.ate_mix, 25771.49399815328);
  assert.equal(r.estimate.qualifier, "=");
});

Deno.test("one ingredient of unknown toxicity: adjusted above 10 %, not at or below", () => {
  const dmso = { name: "DMSO", percent_w_w: 20, values: LD50.DMSO };
  const mpd = (p: number) => ({ name: "3-methoxy-1,2-propanediol", percent_w_w: p, values: [] });
  // 15 % unknown: (100 − 15) / ATE = 20/14500 = 0.00137931 → ATE = 85 / 0.00137931 = 61,625 mg/kg
  const over = estimateAcuteOral([dmso, mpd(15), carrier("water", 65)]);
  assert.equal(over.estimate.unknown_adjustment, true);
  close(over.estimate.ate_mix, 61625);
  assert.match(over.estimate.formula, /\(100 − 15\)/);
  assert.equal(over.unknown_statement, "15 percent of the mixture consists of ingredient(s) of unknown acute toxicity");
  // 5 % unknown: 100 / ATE = 20/14500 → ATE = 72,500 mg/kg (no adjustment at ≤ 10 %)
  const under = estimateAcuteOral([dmso, mpd(5), carrier("water", 75)]);
  assert.equal(under.estimate.unknown_adjustment, false);
  close(under.estimate.unknown_percent, 5);
  close(under.estimate.ate_mix, 72500);
  // exactly 10 %: not adjusted ("more than 10 %")
  assert.equal(estimateAcuteOral([dmso, mpd(10), carrier("water", 70)]).estimate.unknown_adjustment, false);
  assert.deepEqual(under.missing, ["3-methoxy-1,2-propanediol: no usable oral acute toxicity value (none offered)"]);
});

Deno.test("qualified values stay bounds: '>' gives a lower bound on ATE_mix, '<' an upper one, both none", () => {
  // 20 % DMSO + 20 % 1,3-propanediol (rat > 2000, ECHA, V): 100/ATE = 20/14500 + 20/2000 = 0.01137931
  // → ATE > 8,787.88 mg/kg: every value above it is "not classified", so the category is determinate.
  const r = estimateAcuteOral([
    { name: "DMSO", percent_w_w: 20, values: LD50.DMSO },
    { name: "1,3-propanediol", percent_w_w: 20, values: LD50.PD13 },
    carrier("water", 60),
  ]);
  assert.equal(r.estimate.qualifier, ">");
  close(r.estimate.ate_mix, 100 / (20 / 14500 + 20 / 2000));
  assert.equal(r.estimate.category, "not classified");
  assert.equal(r.components[1].used?.qualifier, ">");
  assert.match(r.components[1].ghs_note!, /limit dose/);
  // A low lower bound leaves several categories open: no category.
  const low = estimateAcuteOral([
    {
      name: "A",
      percent_w_w: 50,
      values: [{ kind: "LD50", qualifier: ">", value: 100, species: "rat", route: "oral" }],
    },
    carrier("water", 50),
  ]);
  assert.equal(low.estimate.category, null);
  assert.deepEqual(low.estimate.possible_categories, [3, 4, 5, "not classified"]); // ATE > 200
  const both = estimateAcuteOral([
    {
      name: "A",
      percent_w_w: 30,
      values: [{ kind: "LD50", qualifier: ">", value: 100, species: "rat", route: "oral" }],
    },
    {
      name: "B",
      percent_w_w: 30,
      values: [{ kind: "LD50", qualifier: "<", value: 1000, species: "rat", route: "oral" }],
    },
  ]);
  assert.equal(both.estimate.qualifier, "indeterminate");
  assert.equal(both.estimate.ate_mix, null);
  assert.equal(both.estimate.category, null);
});

Deno.test("GHS classification sum: categories and ranges through Table 3.1.2 only where it applies", () => {
  // 10 % of a category-3 ingredient (converted ATE 100): 100/ATE = 10/100 → ATE 1000 → category 4 (~)
  const cat = estimateAcuteOral([
    { name: "A", percent_w_w: 10, values: [{ kind: "GHS_category", category: 3, species: "rat", route: "oral" }] },
    carrier("water", 90),
  ]);
  close(cat.ghs.ate_mix, 1000);
  assert.equal(cat.ghs.qualifier, "~");
  assert.equal(cat.ghs.category, 4);
  // a range inside category 4 (300–2000) → 500; a range across two categories → no point estimate
  const inBin = chooseValue([{ kind: "LD50_range", low: 400, high: 1500, species: "rat", route: "oral" }]);
  assert.equal(inBin.used?.ate, 500);
  const across = chooseValue([{ kind: "LD50_range", low: 100, high: 1000, species: "rat", route: "oral" }]);
  assert.equal(across.used, null);
  assert.match(across.not_used[0].reason, /more than one GHS category/);
  // 25 % of a rat oral LD50 of 400 mg/kg: 100/ATE = 25/400 → ATE 1600 → category 4 in both sums
  const c4 = estimateAcuteOral([
    {
      name: "A",
      percent_w_w: 25,
      values: [{ kind: "LD50", qualifier: null, value: 400, species: "Rat", route: "Oral" }],
    },
    carrier("water", 75),
  ]);
  close(c4.ghs.ate_mix, 1600);
  assert.equal(c4.ghs.category, 4);
  assert.equal(c4.estimate.category, 4);
});

Deno.test("value choice: rat oral exact first, lowest within a tier; no route or species is ever assumed", () => {
  const c = chooseValue([
    { kind: "LD50", qualifier: "=", value: 9000, species: "rat", route: "oral" },
    { kind: "LD50", qualifier: "=", value: 5570, species: "rat", route: "oral" },
    { kind: "LD50", qualifier: "=", value: 100, species: "rat", route: null },
    { kind: "LD50", qualifier: "=", value: 200, species: null, route: "oral" },
    { kind: "LD50", qualifier: ">", value: 50, species: "rat", route: "oral" },
  ]);
  assert.equal(c.used?.ate, 5570);
  assert.equal(c.used?.tier, 1);
  assert.deepEqual(c.not_used.map((n) => n.reason), [
    "route not stated (never assumed oral)",
    "a lower value of the same tier was used (conservative)",
    "a better tier has a value",
    "a better tier has a value",
  ]);
  // the unstated-species 200 is named (the route-less 100 is unusable, the "> 50" only a lower bound)
  assert.equal(
    c.used?.more_severe_elsewhere,
    "LD50 200 mg/kg (species not stated, oral) is more severe than the value used",
  );
  // Ethylene glycol: rat oral 5,840 decides by tier, but a category-4 record (converted 500 mg/kg) is named.
  const eg = chooseValue([...LD50.EG, { kind: "GHS_category", category: 4, species: null, route: "oral" }]);
  assert.equal(eg.used?.ate, 5840);
  assert.equal(
    eg.used?.more_severe_elsewhere,
    "GHS category 4 (species not stated, oral) (Table 3.1.2: 500 mg/kg) is more severe than the value used",
  );
  const noSpecies = chooseValue([{ kind: "LD50", qualifier: "=", value: 200, species: null, route: "oral" }]);
  assert.equal(noSpecies.used?.tier, 2);
  assert.match(noSpecies.used!.why, /species not stated/);
});

Deno.test("bad input is a typed error naming the component", () => {
  const one = (o: Partial<ToxComponent>) => () => estimateAcuteOral([{ name: "X", percent_w_w: 10, values: [], ...o }]);
  assert.throws(
    one({ percent_w_w: -1 }),
    (e) => code("NON_POSITIVE_CONCENTRATION")(e) && /^X: /.test((e as Error).message),
  );
  assert.throws(one({ percent_w_w: 0 }), code("NON_POSITIVE_CONCENTRATION"));
  assert.throws(one({ percent_w_w: NaN }), code("NOT_A_NUMBER"));
  assert.throws(one({ percent_w_w: 120 }), code("PERCENT_OVER_100"));
  assert.throws(
    () => estimateAcuteOral([{ name: "A", percent_w_w: 60, values: [] }, { name: "B", percent_w_w: 50, values: [] }]),
    code("PERCENT_OVER_100"),
  );
  assert.throws(
    one({ values: [{ kind: "LD50", qualifier: "=", value: 0, species: "rat", route: "oral" }] }),
    code("INVALID_TOXICITY_VALUE"),
  );
  assert.throws(
    one({ values: [{ kind: "LD50", qualifier: "=", value: Infinity, species: "rat", route: "oral" }] }),
    code("NOT_A_NUMBER"),
  );
  assert.throws(
    one({ values: [{ kind: "GHS_category", category: 6 as 5, species: null, route: "oral" }] }),
    code("INVALID_TOXICITY_VALUE"),
  );
  assert.throws(
    one({ values: [{ kind: "LD50_range", low: 900, high: 300, species: null, route: "oral" }] }),
    code("INVALID_TOXICITY_VALUE"),
  );
  assert.throws(() => estimateAcuteOral([]), code("EMPTY_MIXTURE"));
  assert.throws(one({ name: "" }), code("MISSING_NAME"));
  // A qualifier outside the set is refused, never read as exact:
  assert.throws(
    one({ values: [{ kind: "LD50", qualifier: "≈" as "~", value: 500, species: "rat", route: "oral" }] }),
    (e) => code("INVALID_TOXICITY_VALUE")(e) && /unknown qualifier "≈"/.test((e as Error).message),
  );
});
