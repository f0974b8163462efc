// Units of toxicity values and the conversions between them, in one place. Every value type has ONE
// canonical unit, and a value is normalized into it or refused; nothing here picks a unit for a value that
// does not state one. Conversions that cross amount and mass go through the molecule's molecular weight
// (g/mol, RDKit's average MW), which the caller passes explicitly.

/** Units we know, by their canonical spelling. */
export const UNITS = [
  "mg/kg",
  "g/kg",
  "mmol/kg",
  "mol/kg",
  "log10(1/(mol/kg))",
  "nM",
  "µM",
  "mM",
  "M",
  "mg/L",
  "µg/mL",
  "%",
  "call",
  "category",
] as const;
export type Unit = typeof UNITS[number];

/** Spellings seen in sources, mapped to our unit. Matching is exact after trimming: "MG/KG" is not mg/kg. */
const ALIASES: Record<string, Unit> = {
  "mg/kg": "mg/kg",
  "mg/kg bw": "mg/kg",
  "g/kg": "g/kg",
  "mmol/kg": "mmol/kg",
  "mol/kg": "mol/kg",
  "log10(1/(mol/kg))": "log10(1/(mol/kg))",
  "-log10(mol/kg)": "log10(1/(mol/kg))",
  "nM": "nM",
  "µM": "µM",
  "μM": "µM", // U+03BC GREEK SMALL LETTER MU, as opposed to U+00B5 MICRO SIGN
  "uM": "µM",
  "mM": "mM",
  "M": "M",
  "mg/L": "mg/L",
  "mg/l": "mg/L",
  "µg/mL": "µg/mL",
  "μg/mL": "µg/mL",
  "ug/mL": "µg/mL",
  "%": "%",
  "call": "call",
  "category": "category",
  "Unitless": "category", // NIEHS ICE: the unit of its GHS / EPA classification endpoints
};

/** The value types we store, and the canonical unit of each. */
export const CANONICAL_UNIT = {
  LD50: "mg/kg",
  AC50: "µM",
  hit_call: "call",
  GHS_category: "category",
  EPA_category: "category",
} as const satisfies Record<string, Unit>;
export type ValueType = keyof typeof CANONICAL_UNIT;
export const VALUE_TYPES = Object.keys(CANONICAL_UNIT) as ValueType[];

/** A unit we do not know: refused by name, never guessed. */
export class UnknownUnitError extends Error {
  readonly code = "UNKNOWN_UNIT";
  constructor(readonly unit: string) {
    super(`unknown unit ${JSON.stringify(unit)}`);
  }
}

/** A known unit that cannot express this value type (e.g. an LD50 in µM). */
export class UnitMismatchError extends Error {
  readonly code = "UNIT_MISMATCH";
  constructor(readonly unit: Unit, readonly valueType: ValueType) {
    super(`unit ${unit} cannot express a ${valueType} (canonical unit ${CANONICAL_UNIT[valueType]})`);
  }
}

/** A conversion between amount and mass with no (or a meaningless) molecular weight. */
export class MolecularWeightError extends Error {
  readonly code = "MOLECULAR_WEIGHT_REQUIRED";
  constructor(readonly from: Unit, readonly to: Unit, mw: unknown) {
    super(`converting ${from} to ${to} needs a positive molecular weight (got ${String(mw)})`);
  }
}

/** The unit a raw unit string names. Throws UnknownUnitError for anything else (including "" and null). */
export function parseUnit(raw: string | null | undefined): Unit {
  const u = ALIASES[(raw ?? "").trim()];
  if (!u) throw new UnknownUnitError(raw ?? "");
  return u;
}

function needMw(from: Unit, to: Unit, mw: number | undefined): number {
  if (typeof mw !== "number" || !Number.isFinite(mw) || mw <= 0) throw new MolecularWeightError(from, to, mw);
  return mw;
}

/** A dose per body mass in mg/kg. `mw` in g/mol, needed for the molar units. */
export function doseToMgPerKg(value: number, unit: Unit, mw?: number): number {
  switch (unit) {
    case "mg/kg":
      return value;
    case "g/kg":
      return value * 1000;
    case "mmol/kg": // mmol/kg × g/mol = mg/kg
      return value * needMw(unit, "mg/kg", mw);
    case "mol/kg": // mol/kg × g/mol = g/kg; × 1000 = mg/kg
      return value * needMw(unit, "mg/kg", mw) * 1000;
    case "log10(1/(mol/kg))": // x = −log10(mol/kg) → mol/kg = 10^−x
      return 10 ** -value * needMw(unit, "mg/kg", mw) * 1000;
    default:
      throw new UnitMismatchError(unit, "LD50");
  }
}

/** A dose given in mg/kg, expressed in `unit` (the inverse of doseToMgPerKg). */
export function doseFromMgPerKg(mgPerKg: number, unit: Unit, mw?: number): number {
  switch (unit) {
    case "mg/kg":
      return mgPerKg;
    case "g/kg":
      return mgPerKg / 1000;
    case "mmol/kg":
      return mgPerKg / needMw("mg/kg", unit, mw);
    case "mol/kg":
      return mgPerKg / needMw("mg/kg", unit, mw) / 1000;
    case "log10(1/(mol/kg))":
      return -Math.log10(mgPerKg / needMw("mg/kg", unit, mw) / 1000);
    default:
      throw new UnitMismatchError(unit, "LD50");
  }
}

/** A concentration in µM. `mw` in g/mol, needed for the mass units (mg/L = µg/mL). */
export function concentrationToMicromolar(value: number, unit: Unit, mw?: number): number {
  switch (unit) {
    case "nM":
      return value / 1000;
    case "µM":
      return value;
    case "mM":
      return value * 1000;
    case "M":
      return value * 1e6;
    case "mg/L": // mg/L ÷ g/mol = mmol/L; × 1000 = µmol/L
    case "µg/mL":
      return value / needMw(unit, "µM", mw) * 1000;
    default:
      throw new UnitMismatchError(unit, "AC50");
  }
}

/** A concentration given in µM, expressed in `unit` (the inverse of concentrationToMicromolar). */
export function concentrationFromMicromolar(uM: number, unit: Unit, mw?: number): number {
  switch (unit) {
    case "nM":
      return uM * 1000;
    case "µM":
      return uM;
    case "mM":
      return uM / 1000;
    case "M":
      return uM / 1e6;
    case "mg/L":
    case "µg/mL":
      return uM * needMw("µM", unit, mw) / 1000;
    default:
      throw new UnitMismatchError(unit, "AC50");
  }
}

/** A percentage as a fraction (7.5 % → 0.075), and back. */
export const percentToFraction = (percent: number): number => percent / 100;
export const fractionToPercent = (fraction: number): number => fraction * 100;

/** What normalize() returns: the value in the canonical unit of its type, and how it got there. */
export interface Normalized {
  value: number;
  unit: Unit;
  /** Human-readable, e.g. "10^-x × MW × 1000, MW 78.136 g/mol (RDKit average)" or "as given". */
  conversion: string;
}

/**
 * `value` in `rawUnit` normalized to the canonical unit of `valueType`. `mw` (g/mol) is used only when the
 * conversion needs it and is then named in `conversion`. Throws UnknownUnitError, UnitMismatchError or
 * MolecularWeightError; never returns a value it could not convert.
 */
export function normalize(valueType: ValueType, value: number, rawUnit: string | null, mw?: number): Normalized {
  const unit = parseUnit(rawUnit);
  const canonical: Unit = CANONICAL_UNIT[valueType];
  if (unit === canonical) return { value, unit, conversion: "as given" };
  const viaMw = (f: string) => `${f}, MW ${mw} g/mol`;
  switch (valueType) {
    case "LD50": {
      const v = doseToMgPerKg(value, unit, mw);
      const how: Partial<Record<Unit, string>> = {
        "g/kg": "× 1000",
        "mmol/kg": viaMw("× MW"),
        "mol/kg": viaMw("× MW × 1000"),
        "log10(1/(mol/kg))": viaMw("10^-x × MW × 1000"),
      };
      return { value: v, unit: canonical, conversion: `${unit} → mg/kg: ${how[unit]}` };
    }
    case "AC50": {
      const v = concentrationToMicromolar(value, unit, mw);
      const how: Partial<Record<Unit, string>> = {
        "nM": "÷ 1000",
        "mM": "× 1000",
        "M": "× 1e6",
        "mg/L": viaMw("÷ MW × 1000"),
        "µg/mL": viaMw("÷ MW × 1000"),
      };
      return { value: v, unit: canonical, conversion: `${unit} → µM: ${how[unit]}` };
    }
    default:
      throw new UnitMismatchError(unit, valueType);
  }
}
