// Concentration conversions between the units CPA papers use (M, mol/kg, % w/v, % v/v) and % w/w, the basis
// of the GHS additivity formula (UN GHS Rev.10 §3.1.3.6.1: "Ci = concentration of ingredient i (% w/w or
// v/v)"; we always use w/w). Every density a conversion needs is an INPUT, in g/mL at the temperature the
// caller measured it; nothing here knows the density of water, of a CPA or of a solution. A conversion that
// lacks a density is returned as not possible with the reason, never computed with a guess.
//
//   M      (mol per L of solution)        w% = c × MW / (10 × ρ_solution)
//   % w/v  (g per 100 mL of solution)     w% = (w/v) / ρ_solution
//   % v/v  (mL of pure i per 100 mL sol.) w% = (v/v) × ρ_i / ρ_solution   (ρ_i: the PURE component, before
//                                          mixing; the excess volume of mixing is inside ρ_solution)
//   mol/kg (mol per kg of SOLVENT)        w% = 100 × m_i × MW_i / (1000 + Σ_j m_j × MW_j)
//          needs no density but needs every solute of the solution in mol/kg of the same solvent: one
//          molal component among others in other units cannot be placed on a mass basis.
//   % w/w                                 as given.
// Units: MW g/mol, densities g/mL (= kg/L), percentages 0–100. Errors: MixtureInputError (errors.ts).
import { CONCENTRATION_UNITS as STORED_UNITS } from "../vocabulary.ts";
import { finite, MixtureInputError } from "./errors.ts";

/** The units a mixture's components are stored in (the database's concentration_unit domain), and % w/w. */
export const CONCENTRATION_UNITS = [...STORED_UNITS, "% w/w"] as const;
export type ConcentrationUnit = typeof CONCENTRATION_UNITS[number];

/** Spellings accepted for each unit (exact after trimming; anything else is UNKNOWN_UNIT). */
const ALIASES: Record<string, ConcentrationUnit> = {
  "M": "M",
  "mol/L": "M",
  "mol/kg": "mol/kg",
  "m": "mol/kg",
  "% w/v": "% w/v",
  "%w/v": "% w/v",
  "% v/v": "% v/v",
  "%v/v": "% v/v",
  "% w/w": "% w/w",
  "%w/w": "% w/w",
};

/** The unit a string names, or UNKNOWN_UNIT (a bare "%" is refused: w/w, w/v and v/v differ). */
export function parseConcentrationUnit(raw: unknown, component?: string): ConcentrationUnit {
  const u = typeof raw === "string" ? ALIASES[raw.trim()] : undefined;
  if (!u) throw new MixtureInputError("UNKNOWN_UNIT", `unknown concentration unit ${JSON.stringify(raw)}`, component);
  return u;
}

/** One component as the caller states it. */
export interface ComponentAmount {
  name: string;
  value: number;
  unit: string;
  /** g/mol; required for M and mol/kg. */
  mw?: number | null;
  /** Density of the PURE component, g/mL; required for % v/v. */
  density?: number | null;
}

/** What a conversion assumed: exactly the inputs it used, nothing else. */
export interface Assumed {
  solution_density_g_per_ml?: number;
  component_density_g_per_ml?: number;
  mw_g_per_mol?: number;
  /** mol/kg: the total mass of the molal solutes per kg of solvent, g (1000 g solvent + this = the basis). */
  molal_solutes_g_per_kg_solvent?: number;
}

export type Conversion =
  | {
    ok: true;
    name: string;
    from: { value: number; unit: ConcentrationUnit };
    percent_w_w: number;
    formula: string;
    assumed: Assumed;
  }
  | {
    ok: false;
    name: string;
    from: { value: number; unit: ConcentrationUnit };
    /** What is missing, e.g. ["solution_density"]. */
    missing: ("solution_density" | "component_density" | "all_solutes_in_mol_per_kg")[];
    reason: string;
  };

function positive(x: number | null | undefined, what: string, component: string): number | undefined {
  if (x === undefined || x === null) return undefined;
  finite(x, what, component);
  if (x <= 0) throw new MixtureInputError("INVALID_DENSITY", `${what} must be > 0 (got ${x})`, component);
  return x;
}

function needMw(c: ComponentAmount, unit: ConcentrationUnit): number {
  const mw = c.mw;
  if (typeof mw !== "number" || !Number.isFinite(mw) || mw <= 0) {
    throw new MixtureInputError(
      "MOLECULAR_WEIGHT_REQUIRED",
      `converting ${unit} to % w/w needs a positive molecular weight (got ${String(mw)})`,
      c.name,
    );
  }
  return mw;
}

/** Checks one stated amount: a finite value > 0, a known unit, a percentage ≤ 100. */
export function checkAmount(c: ComponentAmount): ConcentrationUnit {
  if (typeof c.name !== "string" || !c.name.trim()) {
    throw new MixtureInputError("MISSING_NAME", "every component needs a name");
  }
  const unit = parseConcentrationUnit(c.unit, c.name);
  const v = finite(c.value, "concentration", c.name);
  if (v <= 0) {
    throw new MixtureInputError("NON_POSITIVE_CONCENTRATION", `concentration must be > 0 (got ${v} ${unit})`, c.name);
  }
  if (unit.startsWith("%") && v > 100) {
    throw new MixtureInputError("PERCENT_OVER_100", `${v} ${unit} is over 100 %`, c.name);
  }
  return unit;
}

/**
 * Every component in % w/w. `solutionDensity` (g/mL) is needed by M, % w/v and % v/v; each component's own
 * `density` by % v/v; `mw` by M and mol/kg (MOLECULAR_WEIGHT_REQUIRED otherwise). Returns one Conversion per
 * component in input order: `ok: false` names what is missing. Throws MixtureInputError for bad input
 * (unknown unit, value ≤ 0 or not finite, a percentage > 100, duplicate names, an empty list, a density ≤ 0)
 * and PERCENT_OVER_100 when the converted components total more than 100 % w/w (a density or amounts that
 * cannot be right).
 */
export function toWeightPercent(components: ComponentAmount[], solutionDensity?: number | null): Conversion[] {
  if (!Array.isArray(components) || components.length === 0) {
    throw new MixtureInputError("EMPTY_MIXTURE", "a mixture needs at least one component");
  }
  const seen = new Set<string>();
  const units = components.map((c) => {
    const u = checkAmount(c);
    if (seen.has(c.name)) throw new MixtureInputError("DUPLICATE_COMPONENT", "named twice", c.name);
    seen.add(c.name);
    return u;
  });
  const rho = positive(solutionDensity, "solution density (g/mL)", "(solution)");
  const molal = units.every((u) => u === "mol/kg");
  const molalSolutes = molal ? components.reduce((s, c) => s + c.value * needMw(c, "mol/kg"), 0) : 0;

  const out = components.map((c, i): Conversion => {
    const unit = units[i];
    const from = { value: c.value, unit };
    const no = (
      missing: ("solution_density" | "component_density" | "all_solutes_in_mol_per_kg")[],
      reason: string,
    ) => ({ ok: false as const, name: c.name, from, missing, reason });
    switch (unit) {
      case "% w/w":
        return { ok: true, name: c.name, from, percent_w_w: c.value, formula: "as given", assumed: {} };
      case "M": {
        const mw = needMw(c, unit);
        if (rho === undefined) return no(["solution_density"], "M → % w/w needs the solution density");
        return {
          ok: true,
          name: c.name,
          from,
          percent_w_w: (c.value * mw) / (10 * rho),
          formula: `${c.value} mol/L × ${mw} g/mol / (10 × ${rho} g/mL)`,
          assumed: { solution_density_g_per_ml: rho, mw_g_per_mol: mw },
        };
      }
      case "% w/v":
        if (rho === undefined) return no(["solution_density"], "% w/v → % w/w needs the solution density");
        return {
          ok: true,
          name: c.name,
          from,
          percent_w_w: c.value / rho,
          formula: `${c.value} g/100 mL / ${rho} g/mL`,
          assumed: { solution_density_g_per_ml: rho },
        };
      case "% v/v": {
        const rhoI = positive(c.density, "pure-component density (g/mL)", c.name);
        const missing: ("solution_density" | "component_density")[] = [];
        if (rho === undefined) missing.push("solution_density");
        if (rhoI === undefined) missing.push("component_density");
        if (rho === undefined || rhoI === undefined) {
          return no(missing, "% v/v → % w/w needs the pure component's density and the solution density");
        }
        return {
          ok: true,
          name: c.name,
          from,
          percent_w_w: (c.value * rhoI) / rho,
          formula: `${c.value} mL/100 mL × ${rhoI} g/mL / ${rho} g/mL`,
          assumed: { solution_density_g_per_ml: rho, component_density_g_per_ml: rhoI },
        };
      }
      case "mol/kg": {
        const mw = needMw(c, unit);
        if (!molal) {
          return no(
            ["all_solutes_in_mol_per_kg"],
            "mol/kg is per kg of solvent: it reaches % w/w only when every solute is given in mol/kg",
          );
        }
        return {
          ok: true,
          name: c.name,
          from,
          percent_w_w: (100 * c.value * mw) / (1000 + molalSolutes),
          formula: `100 × ${c.value} mol/kg × ${mw} g/mol / (1000 g + ${
            round(molalSolutes)
          } g of solutes per kg solvent)`,
          assumed: { mw_g_per_mol: mw, molal_solutes_g_per_kg_solvent: molalSolutes },
        };
      }
    }
  });
  const total = out.reduce((s, c) => s + (c.ok ? c.percent_w_w : 0), 0);
  if (total > 100 + 1e-9) {
    throw new MixtureInputError(
      "PERCENT_OVER_100",
      `the components total ${round(total)} % w/w${
        rho === undefined ? "" : ` with a solution density of ${rho} g/mL`
      }: the amounts or the density cannot be right`,
    );
  }
  return out;
}

/** A % w/w expressed in `unit`, with what it needs, or why it cannot be. */
export type BackConversion =
  | { ok: true; value: number; unit: ConcentrationUnit; formula: string; assumed: Assumed }
  | { ok: false; unit: ConcentrationUnit; missing: string[]; reason: string };

/**
 * `percentWW` (% w/w) of component `name` in `target` units, the inverse of toWeightPercent: M = w × 10 ρ / MW;
 * % w/v = w × ρ; % v/v = w × ρ / ρ_i; mol/kg = 1000 × (w / MW) / (100 − Σ w of all solutes), which needs
 * `totalSolutesPercentWW` (every solute, this one included: the rest is taken to be the solvent, and the
 * result says so). Same errors as toWeightPercent.
 */
export function fromWeightPercent(
  name: string,
  percentWW: number,
  target: string,
  opts: {
    mw?: number | null;
    solutionDensity?: number | null;
    density?: number | null;
    totalSolutesPercentWW?: number | null;
  } = {},
): BackConversion {
  const unit = parseConcentrationUnit(target, name);
  checkAmount({ name, value: percentWW, unit: "% w/w" });
  const rho = positive(opts.solutionDensity, "solution density (g/mL)", "(solution)");
  const c = { name, value: percentWW, unit: "% w/w", mw: opts.mw };
  switch (unit) {
    case "% w/w":
      return { ok: true, value: percentWW, unit, formula: "as given", assumed: {} };
    case "M": {
      const mw = needMw(c, unit);
      if (rho === undefined) {
        return { ok: false, unit, missing: ["solution_density"], reason: "% w/w → M needs the solution density" };
      }
      return {
        ok: true,
        value: (percentWW * 10 * rho) / mw,
        unit,
        formula: `${percentWW} % × 10 × ${rho} g/mL / ${mw} g/mol`,
        assumed: { solution_density_g_per_ml: rho, mw_g_per_mol: mw },
      };
    }
    case "% w/v":
      if (rho === undefined) {
        return { ok: false, unit, missing: ["solution_density"], reason: "% w/w → % w/v needs the solution density" };
      }
      return {
        ok: true,
        value: percentWW * rho,
        unit,
        formula: `${percentWW} % × ${rho} g/mL`,
        assumed: { solution_density_g_per_ml: rho },
      };
    case "% v/v": {
      const rhoI = positive(opts.density, "pure-component density (g/mL)", name);
      if (rho === undefined || rhoI === undefined) {
        return {
          ok: false,
          unit,
          missing: [
            ...(rho === undefined ? ["solution_density"] : []),
            ...(rhoI === undefined ? ["component_density"] : []),
          ],
          reason: "% w/w → % v/v needs the solution density and the pure component's density",
        };
      }
      return {
        ok: true,
        value: (percentWW * rho) / rhoI,
        unit,
        formula: `${percentWW} % × ${rho} g/mL / ${rhoI} g/mL`,
        assumed: { solution_density_g_per_ml: rho, component_density_g_per_ml: rhoI },
      };
    }
    case "mol/kg": {
      const mw = needMw(c, unit);
      const total = opts.totalSolutesPercentWW;
      if (total === undefined || total === null) {
        return {
          ok: false,
          unit,
          missing: ["total_solutes_percent_w_w"],
          reason: "% w/w → mol/kg needs the total % w/w of every solute (the rest is the solvent)",
        };
      }
      finite(total, "total solutes % w/w", name);
      if (total < percentWW || total >= 100) {
        throw new MixtureInputError(
          "PERCENT_OVER_100",
          `total solutes ${total} % w/w must be ≥ this component and < 100`,
          name,
        );
      }
      return {
        ok: true,
        value: (1000 * percentWW / mw) / (100 - total),
        unit,
        formula: `1000 × (${percentWW} / ${mw}) / (100 − ${total}) — the ${
          round(100 - total)
        } % not in solutes taken as solvent`,
        assumed: { mw_g_per_mol: mw },
      };
    }
  }
}

export const round = (x: number, digits = 4): number => Number(x.toPrecision(digits + 2));
