// Fahy's qv*: water molecules per polar group of the penetrating cryoprotectants of a vitrification
// solution (Fahy, Wowk, Wu, Paynter 2004, "Improved vitrification solutions based on the predictability of
// vitrification solution toxicity", Cryobiology 48:22–35). Fahy found toxicity to track qv* (the lower qv*,
// the more polar groups per water, the less toxic a solution at a given ability to vitrify); here it is
// computed, never judged.
//
//   qv* = n_water / Σᵢ (nᵢ × gᵢ)      over the PENETRATING CPAs i; gᵢ = polar groups per molecule of i.
//
// Amounts are per 100 g of solution from % w/w (nᵢ = wᵢ / MWᵢ), so no density enters: convert M or % w/v
// first (concentration.ts, with the density as an input). Water is either given (% w/w) or the remainder
// 100 − Σ every stated solute; the remainder counts the carrier's own solutes (salts, glucose of
// Euro-Collins or LM5) as water, so it OVERSTATES n_water and qv*: the result says so.
//
// Polar-group counting rule (POLAR_GROUPS; computed from the structure with RDKit SMARTS, one count per
// matched group):
//   hydroxyl   [OX2H][#6]             each alcohol O–H (glycerol 3, ethylene glycol 2, 1,2-propanediol 2)
//   sulfoxide  [#16X3]~[OX1]          each S=O, also written S+–O− (DMSO 1)
//   amide      [CX3](=[OX1])[#7X3]    each amide carbonyl carbon, N–H not counted again (formamide 1,
//                                     N-methylformamide 1, acetamide 1, urea 1)
// Ether oxygens (3-methoxy-1,2-propanediol's methoxy) are reported but not counted.
// Confidence of the rule: U. It is our reading of "polar groups" (the groups that hydrogen-bond water);
// Fahy 2004's own per-molecule counts were not available to this session to check against. In particular
// whether an amide counts as one group or two (C=O and NH₂) changes VS55's qv* (2.62 vs 2.03 with the
// remainder as water, ρ as assumed in the test). `polarGroupRule` may be passed to use another rule.
// Non-penetrating components (polymers: PVP K12, X-1000, Z-1000; sugars) are not counted and are listed with
// the caller's reason; a penetrating component needs a SMILES.
import { computeStructure, isFailure, rdkit } from "../toxicity/structures.ts";
import { finite, MixtureInputError, totalPercentWw } from "./errors.ts";
import { round } from "./concentration.ts";

export interface PolarGroup {
  name: string;
  smarts: string;
  /** Count distinct atoms at this index of each match (so a group matched twice through symmetry counts once). */
  anchor: number;
}

export const POLAR_GROUPS: PolarGroup[] = [
  { name: "hydroxyl", smarts: "[OX2H][#6]", anchor: 0 },
  { name: "sulfoxide", smarts: "[#16X3]~[OX1]", anchor: 0 }, // S=O, or S+–O− as some files write it
  { name: "amide", smarts: "[CX3](=[OX1])[#7X3]", anchor: 0 },
];
const ETHER = "[OX2]([#6])[#6]";

export interface QvComponent {
  name: string;
  percent_w_w: number;
  smiles?: string | null;
  penetrating: boolean;
  /** Why a component is not penetrating (e.g. "polymer, MW ≈ 3,500"). */
  reason?: string;
}

export interface QvTerm {
  name: string;
  percent_w_w: number;
  mw: number;
  /** mol per 100 g of solution. */
  mol_per_100g: number;
  groups: Record<string, number>;
  groups_per_molecule: number;
  /** mol of polar groups per 100 g. */
  term: number;
  ether_oxygens_not_counted: number;
}

export interface QvResult {
  qv_star: number | null;
  water: { percent_w_w: number; mol_per_100g: number; mw: number; basis: "given" | "remainder"; note: string };
  terms: QvTerm[];
  not_counted: { name: string; percent_w_w: number; reason: string }[];
  formula: string;
  rule: { groups: PolarGroup[]; confidence: "U"; note: string };
  source: string;
}

// deno-lint-ignore no-explicit-any
function count(R: any, mol: any, smarts: string, anchor: number): number {
  const q = R.get_qmol(smarts);
  try {
    // RDKit answers "{}" (an object, not an empty array) when nothing matches.
    const parsed = JSON.parse(mol.get_substruct_matches(q) || "[]");
    const matches: { atoms: number[] }[] = Array.isArray(parsed) ? parsed : [];
    return new Set(matches.map((m) => m.atoms[anchor])).size;
  } finally {
    q.delete();
  }
}

/** Polar groups of one structure by `rule`, and its ether oxygens (not counted). INVALID_STRUCTURE if unreadable. */
export async function polarGroups(smiles: string, rule: PolarGroup[] = POLAR_GROUPS, name = smiles) {
  const R = await rdkit();
  const s = computeStructure(R, smiles);
  if (isFailure(s)) throw new MixtureInputError("INVALID_STRUCTURE", s.error, name);
  const mol = R.get_mol(smiles);
  try {
    const groups: Record<string, number> = {};
    for (const g of rule) groups[g.name] = count(R, mol, g.smarts, g.anchor);
    return {
      groups,
      total: Object.values(groups).reduce((a, b) => a + b, 0),
      ether: count(R, mol, ETHER, 0),
      mw: s.molecular_weight,
    };
  } finally {
    mol.delete();
  }
}

export const QV_SOURCE = "Fahy GM, Wowk B, Wu J, Paynter S (2004) Cryobiology 48:22–35";

/**
 * qv* of a solution. `components` in % w/w (> 0, total ≤ 100); `water` the water % w/w, or "remainder".
 * Throws MixtureInputError (NOT_A_NUMBER, NON_POSITIVE_CONCENTRATION, PERCENT_OVER_100, INVALID_STRUCTURE for
 * a penetrating component without a readable SMILES). qv_star is null when no penetrating component has a
 * polar group (said in `formula`).
 */
export async function qvStar(
  components: QvComponent[],
  water: number | "remainder",
  rule: PolarGroup[] = POLAR_GROUPS,
): Promise<QvResult> {
  const total = totalPercentWw(components);
  const waterPct = water === "remainder" ? 100 - total : finite(water, "water % w/w", "water");
  if (total + (water === "remainder" ? 0 : waterPct) > 100 + 1e-9) {
    throw new MixtureInputError(
      "PERCENT_OVER_100",
      `solutes and water total ${round(total + (water === "remainder" ? 0 : waterPct))} % w/w`,
    );
  }
  if (!(waterPct > 0)) {
    throw new MixtureInputError(
      "NON_POSITIVE_CONCENTRATION",
      `water must be > 0 % w/w (got ${round(waterPct)})`,
      "water",
    );
  }
  const waterMw = (await polarGroups("O", rule, "water")).mw;
  const terms: QvTerm[] = [];
  const not_counted: QvResult["not_counted"] = [];
  for (const c of components) {
    if (!c.penetrating) {
      not_counted.push({
        name: c.name,
        percent_w_w: c.percent_w_w,
        reason: `not penetrating: ${c.reason ?? "reason not given"} (qv* counts penetrating CPAs only)`,
      });
      continue;
    }
    if (!c.smiles) {
      throw new MixtureInputError(
        "INVALID_STRUCTURE",
        "a penetrating CPA needs a SMILES to count its polar groups",
        c.name,
      );
    }
    const pg = await polarGroups(c.smiles, rule, c.name);
    const n = c.percent_w_w / pg.mw;
    terms.push({
      name: c.name,
      percent_w_w: c.percent_w_w,
      mw: pg.mw,
      mol_per_100g: n,
      groups: pg.groups,
      groups_per_molecule: pg.total,
      term: n * pg.total,
      ether_oxygens_not_counted: pg.ether,
    });
  }
  const nWater = waterPct / waterMw;
  const sum = terms.reduce((s, t) => s + t.term, 0);
  const written = terms.map((t) => `${round(t.percent_w_w)}/${t.mw}×${t.groups_per_molecule}`).join(" + ");
  const qv = sum > 0 ? nWater / sum : null;
  return {
    qv_star: qv,
    water: {
      percent_w_w: waterPct,
      mol_per_100g: nWater,
      mw: waterMw,
      basis: water === "remainder" ? "remainder" : "given",
      note: water === "remainder"
        ? "water = 100 − Σ stated solutes: any unstated solute of the carrier is counted as water, so qv* is an upper bound"
        : "water as given",
    },
    terms,
    not_counted,
    formula: qv === null
      ? "no penetrating component with a polar group: qv* undefined"
      : `qv* = (${round(waterPct)}/${waterMw}) / (${written}) = ${round(nWater)} / ${round(sum)} = ${round(qv)}`,
    rule: {
      groups: rule,
      confidence: "U",
      note:
        "hydroxyl, sulfoxide and amide (one per carbonyl) counted; ethers not; not checked against Fahy 2004's table",
    },
    source: QV_SOURCE,
  };
}
