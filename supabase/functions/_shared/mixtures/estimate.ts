// The mixture estimate as the toxicity API serves it: one composition in the units the caller states →
// % w/w (concentration.ts, densities as inputs) → GHS acute oral additivity (ghs.ts) → Fahy's qv*
// (qv.ts) → known pairs (interactions.ts). Each part says what it assumed and what is missing; a part that
// cannot be computed says why and is null, the others still answer. Pure: no database, no HTTP.
import { type ComponentAmount, type Conversion, toWeightPercent } from "./concentration.ts";
import { type AcuteOralEstimate, estimateAcuteOral, type ToxComponent, type ToxValue } from "./ghs.ts";
import { flagInteractions, type InteractionReport } from "./interactions.ts";
import { type QvResult, qvStar } from "./qv.ts";

export interface MixtureComponentInput extends ComponentAmount {
  smiles?: string | null;
  inchikey?: string | null;
  /** Penetrating CPA (counted in qv*); false for polymers and sugars, with `reason`. */
  penetrating?: boolean;
  reason?: string;
  /** "carrier": presumed not acutely toxic (water, a buffered salt vehicle), named by the caller. */
  role?: "ingredient" | "carrier";
  carrier_reason?: string;
  /** Oral toxicity values of the component (from the toxicity records), mg/kg. */
  toxicity?: ToxValue[];
}

export interface MixtureEstimateInput {
  components: MixtureComponentInput[];
  /** g/mL of the solution, at the caller's temperature; null when not known. */
  solution_density?: number | null;
  /** Water in % w/w, or "remainder" (100 − Σ stated), or null to skip qv*. */
  water?: number | "remainder" | null;
  /**
   * The vehicle that makes up the rest to 100 % w/w (e.g. Euro-Collins), named by the caller and presumed not
   * acutely toxic for the reason given. Without it, the rest counts as unknown acute toxicity.
   */
  carrier?: { name: string; reason: string } | null;
}

export interface MixtureEstimate {
  conversions: Conversion[];
  acute_oral: AcuteOralEstimate | null;
  qv: QvResult | null;
  interactions: InteractionReport;
  /** Why a part is null, by part. */
  not_computed: { part: "acute_oral" | "qv"; reason: string }[];
}

/** Throws MixtureInputError (errors.ts) for bad input; never returns NaN. */
export async function estimateMixture(input: MixtureEstimateInput): Promise<MixtureEstimate> {
  const conversions = toWeightPercent(input.components, input.solution_density);
  const not_computed: MixtureEstimate["not_computed"] = [];
  const failed = conversions.filter((c) => !c.ok);
  let acute_oral: AcuteOralEstimate | null = null;
  let qv: QvResult | null = null;
  if (failed.length) {
    const why = failed.map((c) => `${c.name}: ${c.ok ? "" : c.reason}`).join("; ");
    not_computed.push({ part: "acute_oral", reason: `not every component could be put in % w/w (${why})` });
    if (input.water != null) {
      not_computed.push({ part: "qv", reason: `not every component could be put in % w/w (${why})` });
    }
  } else {
    const ww = conversions.map((c) => (c.ok ? c.percent_w_w : 0));
    const rest = 100 - ww.reduce((a, b) => a + b, 0);
    const tox: ToxComponent[] = input.components.map((c, i) => ({
      name: c.name,
      percent_w_w: ww[i],
      role: c.role,
      carrier_reason: c.carrier_reason,
      values: c.toxicity ?? [],
    }));
    if (input.carrier && rest > 1e-9) {
      tox.push({
        name: input.carrier.name,
        percent_w_w: rest,
        role: "carrier",
        carrier_reason: input.carrier.reason,
        values: [],
      });
    }
    acute_oral = estimateAcuteOral(tox);
    const solutes = input.components.map((c, i) => ({ c, w: ww[i] })).filter(({ c }) => c.role !== "carrier");
    if (input.water == null) {
      not_computed.push({ part: "qv", reason: 'no water content given (a number or "remainder")' });
    } else {
      const undeclared = solutes.filter(({ c }) => c.penetrating === undefined).map(({ c }) => c.name);
      if (undeclared.length) {
        not_computed.push({ part: "qv", reason: `penetrating or not is not stated for: ${undeclared.join(", ")}` });
      } else {
        qv = await qvStar(
          solutes.map(({ c, w }) => ({
            name: c.name,
            percent_w_w: w,
            smiles: c.smiles,
            penetrating: c.penetrating!,
            reason: c.reason,
          })),
          input.water,
        );
      }
    }
  }
  const interactions = await flagInteractions(
    input.components.filter((c) => c.role !== "carrier").map((c) => ({
      name: c.name,
      smiles: c.smiles,
      inchikey: c.inchikey,
    })),
  );
  return { conversions, acute_oral, qv, interactions, not_computed };
}
