// The one error type of the mixture estimate: bad input is refused by name with a stable code (the toxicity
// API maps it to a 400 with that code), never turned into NaN, Infinity or a guess.

/** Why a composition was refused. */
export const MIXTURE_ERROR_CODES = [
  "UNKNOWN_UNIT", // a concentration unit we do not convert (named as given)
  "NOT_A_NUMBER", // a value that is not a finite number
  "NON_POSITIVE_CONCENTRATION", // a concentration ≤ 0
  "PERCENT_OVER_100", // one percentage, or the components' total, over 100 %
  "MOLECULAR_WEIGHT_REQUIRED", // a conversion through amounts (M, mol/kg) without a positive MW
  "INVALID_DENSITY", // a density given but not a positive finite number (an absent one is not an error)
  "INVALID_TOXICITY_VALUE", // an LD50 ≤ 0, a GHS category outside 1–5, a range with low > high
  "DUPLICATE_COMPONENT", // two components with one name
  "EMPTY_MIXTURE", // no component
  "MISSING_NAME", // a component without a name
  "INVALID_STRUCTURE", // a SMILES RDKit cannot read (qv* counting)
] as const;
export type MixtureErrorCode = typeof MIXTURE_ERROR_CODES[number];

/** Bad input to a mixture module. `component` names the offending component when there is one. */
export class MixtureInputError extends Error {
  constructor(readonly code: MixtureErrorCode, message: string, readonly component?: string) {
    super(component === undefined ? message : `${component}: ${message}`);
    this.name = "MixtureInputError";
  }
}

/** `x` if it is a finite number, else a NOT_A_NUMBER error naming `what`. */
export function finite(x: unknown, what: string, component?: string): number {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new MixtureInputError("NOT_A_NUMBER", `${what} must be a finite number (got ${String(x)})`, component);
  }
  return x;
}

/**
 * The checks every % w/w component list gets: at least one component, each named, each a finite % w/w above 0.
 * `each` adds a caller's own check per component (given its % w/w). Returns the total % w/w. Throws
 * MixtureInputError (EMPTY_MIXTURE, MISSING_NAME, NOT_A_NUMBER, NON_POSITIVE_CONCENTRATION).
 */
export function totalPercentWw<C extends { name: string; percent_w_w: number }>(
  components: C[],
  each?: (c: C, percent: number) => void,
): number {
  if (!Array.isArray(components) || components.length === 0) {
    throw new MixtureInputError("EMPTY_MIXTURE", "a mixture needs at least one component");
  }
  let total = 0;
  for (const c of components) {
    if (typeof c.name !== "string" || !c.name.trim()) {
      throw new MixtureInputError("MISSING_NAME", "every component needs a name");
    }
    const p = finite(c.percent_w_w, "% w/w", c.name);
    if (p <= 0) throw new MixtureInputError("NON_POSITIVE_CONCENTRATION", `% w/w must be > 0 (got ${p})`, c.name);
    each?.(c, p);
    total += p;
  }
  return total;
}
