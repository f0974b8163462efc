// Inputs shared by the tests: the named solutions of /work/shared/data/cpa-facts.md and the LD50s it labels
// V or V2. Densities are NOT facts of cpa-facts.md: each is an assumption of the test, named here, so the
// arithmetic can be checked by hand; the API takes the density as an input.
import type { Qualifier, ToxValue } from "./ghs.ts";

/** RDKit average MWs (g/mol), as computeStructure gives them; concentration.test.ts checks each. */
export const MW = {
  DMSO: 78.136, // CS(C)=O
  formamide: 45.041, // NC=O
  PG12: 76.095, // CC(O)CO
  EG: 62.068, // OCCO
  glycerol: 92.094, // OCC(O)CO
  NMF: 59.068, // CNC=O
  MPD: 106.121, // COCC(O)CO (3-methoxy-1,2-propanediol)
  water: 18.015, // O
};

/**
 * ASSUMED solution densities, g/mL. Not measured values and not from a source: ideal-mixing estimates from
 * the pure-component densities (label U). VS55: 549.3 g of CPA (≈ 505 mL as pure liquids) per litre, the
 * rest Euro-Collins → ≈ 1.05. M22: 64.8 g/100 mL of solutes → ≈ 1.07.
 */
export const RHO_ASSUMED = { VS55: 1.05, M22: 1.07, binary: 1.03 };

/** ASSUMED pure-component densities at 20–25 °C, g/mL (handbook values recalled, label U). */
export const RHO_PURE_ASSUMED = { EG: 1.113, DMSO: 1.1 };

const oral = (value: number, species: string, citation: string, qualifier: Qualifier = "="): ToxValue => ({
  kind: "LD50",
  qualifier,
  value,
  species,
  route: "oral",
  citation,
});

/** Oral LD50s of cpa-facts.md labelled V or V2 (mg/kg), with what else a record set would hold. */
export const LD50 = {
  DMSO: [
    oral(14500, "rat", "cpa-facts.md: acute/repeated inhalation study abstract, Sprague-Dawley rats (V)"),
    {
      kind: "LD50",
      qualifier: "=",
      value: 3100,
      species: "mouse",
      route: "intravenous",
      citation: "cpa-facts.md (V)",
    } as ToxValue,
  ],
  formamide: [oral(7500, "rat", "Eastman Kodak 1984 (OTS-0206566) (V)")],
  PG12: [oral(21000, "dog", "Haz-Map citing AIHA (V)")],
  EG: [oral(5840, "rat", "MSDS (V)")],
  glycerol: [oral(27200, "rat", "SDS quoting the ECHA dossier (V2)")],
  PD13: [oral(2000, "rat", "ECHA key study (V): no deaths to 9,450 mg/kg", ">")],
};
