// Acute oral toxicity of a mixture by the GHS additivity formula, with every choice shown.
//
// Sources (UN GHS, Rev.10, 2023, chapter 3.1; the same formula: 49 CFR 173.132(c)(3)):
// - §3.1.3.6.1   100 / ATE_mix = Σ_n Cᵢ / ATEᵢ, over the RELEVANT ingredients of known acute toxicity,
//                Cᵢ in % w/w. Relevant = present at ≥ 1 % (§3.1.3.3(a)).
// - §3.1.3.6     (with the formula; exact paragraph number not re-checked in this session) include ingredients with a known acute toxicity that fall into a GHS category; ignore
//                ingredients presumed not acutely toxic (water, sugar); ignore limit-dose data at the upper
//                threshold of category 4 (2000 mg/kg oral) that show no acute toxicity.
// - §3.1.3.6.2   an ingredient of unknown acute toxicity at ≥ 1 %: classify on the known ingredients with the
//                statement "x percent of the mixture consists of ingredient(s) of unknown acute toxicity"
//                (`unknown_statement`).
// - §3.1.3.6.2.3 when the relevant ingredients of UNKNOWN acute toxicity total more than 10 %:
//                (100 − Σ C_unknown) / ATE_mix = Σ Cᵢ / ATEᵢ   (no adjustment at 10 % or less).
// - Table 3.1.1  oral cut-offs: cat 1 ≤ 5, cat 2 ≤ 50, cat 3 ≤ 300, cat 4 ≤ 2000, cat 5 ≤ 5000 mg/kg (each
//                bin (lower, upper]); above 5000: not classified.
// - Table 3.1.2  converted point estimates (oral) for an ingredient known only by a range or a category:
//                cat 1 → 0.5, cat 2 → 5, cat 3 → 100, cat 4 → 500, cat 5 → 2500 mg/kg. Used ONLY for a
//                category, or a range lying inside one category's bin (what the table is for); never to
//                turn a ">" or "<" value into a point.
//
// Two sums are reported, never mixed:
// - `ghs`: the classification rule above: only ingredients whose ATE falls in a category (≤ 5000 mg/kg);
//   ingredients known to be above 5000, and ">= 2000" limit-test values, are listed as ignored with the rule.
// - `estimate`: the same formula over EVERY relevant ingredient with a usable oral value (an estimate of the
//   mixture's oral LD50, for comparing cocktails; not a classification).
//
// Value choice per ingredient (the first tier with a value decides; within a tier the LOWEST value, the
// conservative one): (1) rat, oral, exact ("=" or no qualifier); (2) another or unstated species, oral, exact
// (flagged: GHS prefers the rat, §3.1.2.3); (3) "~" approximate oral values (result at best "~"); (4) bounded
// oral values: ">"/">=" (the LD50 is at least this) and "<"/"<=" (at most this), rat first; (5) a GHS
// category or a range inside one bin → Table 3.1.2. A value whose route is not oral, or not stated, is never
// used (listed, with the reason). No species or route is ever assumed.
//
// Qualifiers never become exact. A ">" LD50 used as the ATE overstates that ingredient's term, so the
// mixture's true ATE is ABOVE the computed one: the result's qualifier is ">". "<" gives "<". Both in one
// mixture give no bound: qualifier "indeterminate", no ATE value and no category. A category is reported only
// when every ATE the qualifier allows falls in one bin; otherwise `category` is null and
// `possible_categories` lists the bins.
import { finite, MixtureInputError, totalPercentWw } from "./errors.ts";
import { round } from "./concentration.ts";

export const QUALIFIERS = ["=", "<", "<=", ">", ">=", "~"] as const;
export type Qualifier = typeof QUALIFIERS[number];
export type GhsCategory = 1 | 2 | 3 | 4 | 5 | "not classified";

/** One oral toxicity value of an ingredient, as the toxicity schema holds it (normalized to mg/kg). */
export type ToxValue =
  | {
    kind: "LD50";
    /** Normalized qualifier; null or "=" is exact. */
    qualifier: Qualifier | null;
    /** mg/kg body weight. */
    value: number;
    species: string | null;
    route: string | null;
    citation?: string | null;
  }
  | {
    kind: "GHS_category";
    category: 1 | 2 | 3 | 4 | 5;
    species: string | null;
    route: string | null;
    citation?: string | null;
  }
  | {
    kind: "LD50_range";
    low: number;
    high: number;
    species: string | null;
    route: string | null;
    citation?: string | null;
  };

/** One ingredient, in % w/w (concentration.ts converts). */
export interface ToxComponent {
  name: string;
  percent_w_w: number;
  /** "carrier": presumed not acutely toxic (GHS §3.1.3.6, include/ignore rules: water, sugar) — named by the caller, with a reason. */
  role?: "ingredient" | "carrier";
  carrier_reason?: string;
  values: ToxValue[];
}

export const GHS_ORAL_CUTOFFS = [5, 50, 300, 2000, 5000] as const;
export const GHS_ORAL_CONVERTED_ATE = { 1: 0.5, 2: 5, 3: 100, 4: 500, 5: 2500 } as const;

/** The GHS oral category of an exact ATE (mg/kg). */
export function ghsOralCategory(ate: number): GhsCategory {
  finite(ate, "ATE");
  for (let i = 0; i < GHS_ORAL_CUTOFFS.length; i++) if (ate <= GHS_ORAL_CUTOFFS[i]) return (i + 1) as GhsCategory;
  return "not classified";
}

const BINS: { cat: GhsCategory; lo: number; hi: number }[] = [
  { cat: 1, lo: 0, hi: 5 },
  { cat: 2, lo: 5, hi: 50 },
  { cat: 3, lo: 50, hi: 300 },
  { cat: 4, lo: 300, hi: 2000 },
  { cat: 5, lo: 2000, hi: 5000 },
  { cat: "not classified", lo: 5000, hi: Infinity },
];

/** Every category an ATE qualified by `q` can be in (bins are (lo, hi]). */
export function possibleCategories(q: "=" | "~" | "<" | "<=" | ">" | ">=", ate: number): GhsCategory[] {
  return BINS.filter((b) => {
    switch (q) {
      case "=":
      case "~":
        return ate > b.lo && ate <= b.hi;
      case ">":
        return b.hi > ate;
      case ">=":
        return b.hi >= ate;
      case "<":
        return b.lo < ate;
      case "<=":
        return b.lo < ate;
    }
  }).map((b) => b.cat);
}

const isOral = (route: string | null) => route !== null && /^\s*oral\b/i.test(route);
const isRat = (species: string | null) => species !== null && /^\s*rats?\b/i.test(species);

export interface UsedValue {
  /** mg/kg, the ATEᵢ put into the formula. */
  ate: number;
  /** "=" exact, "~" approximate, ">"/">=" lower bound, "<"/"<=" upper bound, "converted" Table 3.1.2. */
  qualifier: Qualifier | "converted";
  tier: 1 | 2 | 3 | 4 | 5;
  species: string | null;
  route: string | null;
  citation: string | null;
  why: string;
  /**
   * Another usable oral value of this ingredient that is MORE severe than the one used (a lower exact or
   * converted ATE, or an upper bound below it), e.g. a GHS category 4 record beside a rat LD50 of 5,840 —
   * a classification may rest on human data. Named so the reader sees it; the tier order still decides.
   */
  more_severe_elsewhere: string | null;
}

export interface ComponentResult {
  name: string;
  percent_w_w: number;
  status: "known" | "unknown" | "carrier" | "not relevant (< 1 %)";
  used: UsedValue | null;
  /** Values offered but not used, each with the reason. */
  not_used: { value: string; reason: string }[];
  /** In the `estimate` sum: Cᵢ / ATEᵢ and its share of Σ (0–1). null when not in the sum. */
  estimate_term: number | null;
  estimate_share: number | null;
  /** In the `ghs` sum, or why not. */
  ghs_term: number | null;
  ghs_share: number | null;
  ghs_note: string | null;
}

export interface AdditivityResult {
  /** mg/kg; null when no bound exists (indeterminate) or nothing of known toxicity is in the sum. */
  ate_mix: number | null;
  qualifier: "=" | "~" | ">" | ">=" | "<" | "<=" | "indeterminate" | null;
  category: GhsCategory | null;
  possible_categories: GhsCategory[];
  sum_terms: number;
  /** Σ C of relevant ingredients of unknown toxicity (% w/w), and whether §3.1.3.6.2.3 applied (> 10 %). */
  unknown_percent: number;
  unknown_adjustment: boolean;
  /** The arithmetic, written out. */
  formula: string;
}

export interface AcuteOralEstimate {
  components: ComponentResult[];
  /** 100 − Σ stated: a part of the mixture nobody named; counted as unknown toxicity (never as water). */
  unaccounted_percent: number;
  ghs: AdditivityResult;
  estimate: AdditivityResult;
  /** Data that is missing, by name: e.g. "formamide: no oral value". */
  missing: string[];
  /** GHS §3.1.3.6.2's statement when relevant ingredients of unknown acute toxicity are present, else null. */
  unknown_statement: string | null;
  sources: string[];
}

export const GHS_SOURCES = [
  "UN GHS Rev.10 (2023) §3.1.3.3(a), §3.1.3.6.1 (with the include/ignore rules), §3.1.3.6.2 (unknown ingredients), §3.1.3.6.2.3, Tables 3.1.1 and 3.1.2",
  "49 CFR 173.132(c)(3) (same additivity formula)",
];

function describe(v: ToxValue): string {
  const ctx = `${v.species ?? "species not stated"}, ${v.route ?? "route not stated"}`;
  if (v.kind === "LD50") {
    return `LD50 ${v.qualifier && v.qualifier !== "=" ? v.qualifier + " " : ""}${v.value} mg/kg (${ctx})`;
  }
  if (v.kind === "GHS_category") return `GHS category ${v.category} (${ctx})`;
  return `LD50 range ${v.low}–${v.high} mg/kg (${ctx})`;
}

function checkValue(v: ToxValue, name: string) {
  if (v.kind === "LD50") {
    if (v.qualifier !== null && !QUALIFIERS.includes(v.qualifier)) {
      throw new MixtureInputError("INVALID_TOXICITY_VALUE", `unknown qualifier ${JSON.stringify(v.qualifier)}`, name);
    }
    if (finite(v.value, "LD50", name) <= 0) {
      throw new MixtureInputError("INVALID_TOXICITY_VALUE", `LD50 must be > 0 (got ${v.value})`, name);
    }
  } else if (v.kind === "GHS_category") {
    if (![1, 2, 3, 4, 5].includes(v.category)) {
      throw new MixtureInputError(
        "INVALID_TOXICITY_VALUE",
        `GHS acute oral category must be 1–5 (got ${String(v.category)})`,
        name,
      );
    }
  } else if (v.kind === "LD50_range") {
    finite(v.low, "LD50 range low", name);
    finite(v.high, "LD50 range high", name);
    if (!(v.low > 0 && v.high >= v.low)) {
      throw new MixtureInputError(
        "INVALID_TOXICITY_VALUE",
        `LD50 range must satisfy 0 < low ≤ high (got ${v.low}–${v.high})`,
        name,
      );
    }
  } else {
    throw new MixtureInputError(
      "INVALID_TOXICITY_VALUE",
      `unknown value kind ${JSON.stringify((v as { kind: unknown }).kind)}`,
      name,
    );
  }
}

/** The value used for one ingredient by the tiers of the module comment, and why the others were not. */
export function chooseValue(
  values: ToxValue[],
  name = "(component)",
): { used: UsedValue | null; not_used: { value: string; reason: string }[] } {
  const not_used: { value: string; reason: string }[] = [];
  const candidates: { v: ToxValue; tier: 1 | 2 | 3 | 4 | 5; ate: number; q: UsedValue["qualifier"] }[] = [];
  for (const v of values) {
    checkValue(v, name);
    if (!isOral(v.route)) {
      not_used.push({
        value: describe(v),
        reason: v.route === null ? "route not stated (never assumed oral)" : "not an oral value",
      });
      continue;
    }
    if (v.kind === "LD50") {
      const q = v.qualifier ?? "=";
      if (q === "=") candidates.push({ v, tier: isRat(v.species) ? 1 : 2, ate: v.value, q });
      else if (q === "~") candidates.push({ v, tier: 3, ate: v.value, q });
      else candidates.push({ v, tier: 4, ate: v.value, q });
    } else if (v.kind === "GHS_category") {
      candidates.push({ v, tier: 5, ate: GHS_ORAL_CONVERTED_ATE[v.category], q: "converted" });
    } else {
      const bin = BINS.find((b) => v.low > b.lo && v.high <= b.hi);
      if (!bin || bin.cat === "not classified") {
        not_used.push({
          value: describe(v),
          reason: bin
            ? "range above 5000 mg/kg: no Table 3.1.2 point estimate"
            : "range spans more than one GHS category: Table 3.1.2 gives no point estimate",
        });
      } else candidates.push({ v, tier: 5, ate: GHS_ORAL_CONVERTED_ATE[bin.cat as 1 | 2 | 3 | 4 | 5], q: "converted" });
    }
  }
  if (candidates.length === 0) return { used: null, not_used };
  const best = Math.min(...candidates.map((c) => c.tier));
  const inTier = candidates.filter((c) => c.tier === best);
  // Tier 4: rat before other species, then the lowest value.
  const pool = best === 4 && inTier.some((c) => isRat(c.v.species)) ? inTier.filter((c) => isRat(c.v.species)) : inTier;
  const pick = pool.reduce((a, b) => (b.ate < a.ate ? b : a));
  for (const c of candidates) {
    if (c !== pick) {
      not_used.push({
        value: describe(c.v),
        reason: c.tier > best ? "a better tier has a value" : "a lower value of the same tier was used (conservative)",
      });
    }
  }
  const why = {
    1: "rat oral LD50, exact (GHS preferred species)",
    2: `oral LD50, exact, ${pick.v.species ?? "species not stated"} (no exact rat oral value; GHS prefers the rat)`,
    3: "oral LD50, approximate (~): the result is at best approximate",
    4: `oral LD50 ${pick.q} ${pick.ate} mg/kg: a bound, never used as exact`,
    5: pick.v.kind === "GHS_category"
      ? `GHS category ${pick.v.category} only: Table 3.1.2 converted point estimate`
      : `LD50 range inside one GHS category: Table 3.1.2 converted point estimate`,
  }[best as 1 | 2 | 3 | 4 | 5];
  const v = pick.v;
  const severer = candidates
    .filter((c) => c !== pick && c.ate < pick.ate && c.q !== ">" && c.q !== ">=")
    .sort((a, b) => a.ate - b.ate)[0];
  return {
    used: {
      more_severe_elsewhere: severer
        ? `${describe(severer.v)}${
          severer.q === "converted" ? ` (Table 3.1.2: ${severer.ate} mg/kg)` : ""
        } is more severe than the value used`
        : null,
      ate: pick.ate,
      qualifier: pick.q,
      tier: best as UsedValue["tier"],
      species: v.species,
      route: v.route,
      citation: v.citation ?? null,
      why,
    },
    not_used,
  };
}

function combine(qs: UsedValue["qualifier"][]): AdditivityResult["qualifier"] {
  const lower = qs.some((q) => q === ">" || q === ">=");
  const upper = qs.some((q) => q === "<" || q === "<=");
  if (lower && upper) return "indeterminate";
  const approx = qs.some((q) => q === "~" || q === "converted");
  if (lower) return qs.every((q) => q === ">=" || q === "=") ? ">=" : ">";
  if (upper) return qs.every((q) => q === "<=" || q === "=") ? "<=" : "<";
  return approx ? "~" : "=";
}

function additivity(
  terms: { name: string; c: number; ate: number; q: UsedValue["qualifier"] }[],
  unknown: number,
): AdditivityResult {
  const adj = unknown > 10;
  const numerator = adj ? 100 - unknown : 100;
  const sum = terms.reduce((s, t) => s + t.c / t.ate, 0);
  const written = terms.map((t) => `${round(t.c)}/${t.ate}`).join(" + ") || "0";
  const lhs = adj ? `(100 − ${round(unknown)})` : "100";
  if (terms.length === 0) {
    return {
      ate_mix: null,
      qualifier: null,
      category: null,
      possible_categories: [],
      sum_terms: 0,
      unknown_percent: unknown,
      unknown_adjustment: adj,
      formula: `${lhs} / ATE_mix = 0: no ingredient in the sum, no ATE_mix`,
    };
  }
  const q = combine(terms.map((t) => t.q));
  const ate = numerator / sum;
  const formula = `${lhs} / ATE_mix = ${written} = ${round(sum)} → ATE_mix = ${round(numerator)} / ${round(sum)} = ${
    round(ate)
  } mg/kg`;
  if (q === "indeterminate") {
    return {
      ate_mix: null,
      qualifier: q,
      category: null,
      possible_categories: BINS.map((b) => b.cat),
      sum_terms: sum,
      unknown_percent: unknown,
      unknown_adjustment: adj,
      formula: formula + " (not a bound: some values are lower and some upper bounds)",
    };
  }
  const pc = possibleCategories(q as "=", ate);
  return {
    ate_mix: ate,
    qualifier: q,
    category: pc.length === 1 ? pc[0] : null,
    possible_categories: pc,
    sum_terms: sum,
    unknown_percent: unknown,
    unknown_adjustment: adj,
    formula,
  };
}

/**
 * The acute oral estimate of a mixture. `components` in % w/w (each > 0 and ≤ 100, total ≤ 100). Returns
 * both sums (`ghs`, `estimate`), every component's value, term and share, and what is missing. Throws
 * MixtureInputError for bad input (NOT_A_NUMBER, NON_POSITIVE_CONCENTRATION, PERCENT_OVER_100,
 * INVALID_TOXICITY_VALUE, DUPLICATE_COMPONENT, EMPTY_MIXTURE).
 */
export function estimateAcuteOral(components: ToxComponent[]): AcuteOralEstimate {
  const names = new Set<string>();
  const total = totalPercentWw(components, (c, p) => {
    if (p > 100) throw new MixtureInputError("PERCENT_OVER_100", `${p} % w/w is over 100 %`, c.name);
    if (names.has(c.name)) throw new MixtureInputError("DUPLICATE_COMPONENT", "named twice", c.name);
    names.add(c.name);
  });
  if (total > 100 + 1e-9) throw new MixtureInputError("PERCENT_OVER_100", `the components total ${round(total)} % w/w`);
  const unaccounted = Math.max(0, 100 - total);
  const missing: string[] = [];
  const results: ComponentResult[] = components.map((c) => {
    const { used, not_used } = chooseValue(c.values ?? [], c.name);
    const base = {
      name: c.name,
      percent_w_w: c.percent_w_w,
      used,
      not_used,
      estimate_term: null,
      estimate_share: null,
      ghs_term: null,
      ghs_share: null,
    };
    if (c.role === "carrier") {
      if (used) not_used.unshift({ value: "(the carrier's values)", reason: "declared a carrier by the caller" });
      return {
        ...base,
        used: null,
        status: "carrier" as const,
        ghs_note: `carrier, presumed not acutely toxic (GHS §3.1.3.6, include/ignore rules): ${
          c.carrier_reason ?? "reason not given"
        }`,
      };
    }
    if (c.percent_w_w < 1) {
      return {
        ...base,
        status: "not relevant (< 1 %)" as const,
        ghs_note: "below 1 % w/w: not a relevant ingredient (GHS §3.1.3.3(a))",
      };
    }
    if (!used) {
      missing.push(
        `${c.name}: no usable oral acute toxicity value (${
          c.values?.length ? "offered values not oral or unusable" : "none offered"
        })`,
      );
      return { ...base, status: "unknown" as const, ghs_note: "unknown acute toxicity: counted in Σ C_unknown" };
    }
    return { ...base, status: "known" as const, ghs_note: null };
  });
  if (unaccounted > 1e-9) {
    missing.push(`${round(unaccounted)} % w/w not named by any component: counted as unknown acute toxicity`);
  }
  const relevantUnaccounted = unaccounted >= 1 ? unaccounted : 0;
  const unknown = results.filter((r) => r.status === "unknown").reduce((s, r) => s + r.percent_w_w, 0) +
    relevantUnaccounted;

  const known = results.filter((r) => r.status === "known");
  const estTerms = known.map((r) => ({ name: r.name, c: r.percent_w_w, ate: r.used!.ate, q: r.used!.qualifier }));
  const ghsTerms: typeof estTerms = [];
  for (const r of known) {
    const u = r.used!;
    const lowerBound = u.qualifier === ">" || u.qualifier === ">=";
    if (lowerBound && u.ate >= 2000) {
      r.ghs_note =
        `LD50 ${u.qualifier} ${u.ate} mg/kg (limit dose, no toxicity shown): ignored (GHS §3.1.3.6, include/ignore rules)`;
    } else if (u.ate > 5000 && u.qualifier !== "<" && u.qualifier !== "<=") {
      r.ghs_note = `ATE ${u.ate} mg/kg falls in no GHS category: not included (GHS §3.1.3.6, include/ignore rules)`;
    } else {
      ghsTerms.push({ name: r.name, c: r.percent_w_w, ate: u.ate, q: u.qualifier });
      r.ghs_note = "included";
    }
  }
  const estimate = additivity(estTerms, unknown);
  const ghs = additivity(ghsTerms, unknown);
  if (ghsTerms.length === 0) {
    // No ingredient in a category: the mixture is not classified by additivity (the unknown part only adjusts
    // a sum that exists); said plainly, with the caveat for the unknown part.
    ghs.category = "not classified";
    ghs.possible_categories = ["not classified"];
    ghs.formula = `no ingredient falls in a GHS acute oral category: not classified by §3.1.3.6` +
      (unknown > 0
        ? ` (${round(unknown)} % w/w of unknown acute toxicity: the classification is only as good as that gap)`
        : "");
  }
  for (const r of results) {
    const e = estTerms.find((t) => t.name === r.name);
    if (e) {
      r.estimate_term = e.c / e.ate;
      r.estimate_share = r.estimate_term / estimate.sum_terms;
    }
    const g = ghsTerms.find((t) => t.name === r.name);
    if (g) {
      r.ghs_term = g.c / g.ate;
      r.ghs_share = r.ghs_term / ghs.sum_terms;
    }
  }
  const unknown_statement = unknown > 0
    ? `${round(unknown, 2)} percent of the mixture consists of ingredient(s) of unknown acute toxicity`
    : null;
  return {
    components: results,
    unaccounted_percent: unaccounted,
    ghs,
    estimate,
    missing,
    unknown_statement,
    sources: GHS_SOURCES,
  };
}
