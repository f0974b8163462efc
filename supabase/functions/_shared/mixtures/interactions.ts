// Known toxicity-neutralizing and less-toxic pairs of CPAs, flagged with their citation and the evidence
// label of /work/shared/data/cpa-facts.md (the project's curated facts). Pairs are stored by SMILES and
// matched by the InChIKey RDKit computes from it, so a table entry cannot name the wrong molecule.
//
// The only graded output is the EVIDENCE label, one scale for every flag (cpa-facts.md):
//   V  read in the cited source; V2 read in a secondary source quoting it; C computed from verified inputs;
//   U  unverified (recalled) — never shown as a finding. Order of confidence: V > V2 > C > U.
// No numeric interaction score is produced: the sources report directions (less toxic), not sizes.
// A pair with no entry is listed as "no interaction data": absence of a flag is not evidence of no interaction.
import { computeStructure, isFailure, rdkit } from "../toxicity/structures.ts";
import { MixtureInputError } from "./errors.ts";

export type Evidence = "V" | "V2" | "C" | "U";
export const EVIDENCE_SCALE: Record<Evidence, string> = {
  V: "read in the cited source",
  V2: "read in a secondary source quoting it",
  C: "computed from verified inputs",
  U: "unverified (recalled, not yet checked)",
};

export interface KnownPair {
  a: { name: string; smiles: string };
  b: { name: string; smiles: string };
  kind: "neutralization" | "less toxic binary";
  finding: string;
  citation: string;
  evidence: Evidence;
}

const DMSO = { name: "dimethyl sulfoxide", smiles: "CS(C)=O" };
const FORMAMIDE = { name: "formamide", smiles: "NC=O" };
const GLYCEROL = { name: "glycerol", smiles: "OCC(O)CO" };
const PG12 = { name: "1,2-propanediol", smiles: "CC(O)CO" };
const PG13 = { name: "1,3-propanediol", smiles: "OCCCO" };
const DEG = { name: "diethylene glycol", smiles: "OCCOCCO" };
const FAHY_2010 = "Fahy GM (2010) Cryobiology 60:S45 (cryoprotectant toxicity neutralization)";
const HIGGINS_2025 = "Higgins lab 2025 binary CPA toxicity screen (cpa-facts.md)";

/** The pairs of cpa-facts.md, "Observations usable as checks of a mixture-toxicity feature". */
export const KNOWN_PAIRS: KnownPair[] = [
  {
    a: DMSO,
    b: FORMAMIDE,
    kind: "neutralization",
    finding: "DMSO reduces formamide toxicity",
    citation: FAHY_2010,
    evidence: "V",
  },
  {
    a: DMSO,
    b: { name: "urea", smiles: "NC(N)=O" },
    kind: "neutralization",
    finding: "DMSO reduces urea toxicity",
    citation: FAHY_2010,
    evidence: "V",
  },
  {
    a: DMSO,
    b: { name: "acetamide", smiles: "CC(N)=O" },
    kind: "neutralization",
    finding: "DMSO reduces acetamide toxicity",
    citation: FAHY_2010,
    evidence: "V",
  },
  {
    a: GLYCEROL,
    b: FORMAMIDE,
    kind: "neutralization",
    finding: "glycerol reduces formamide toxicity",
    citation: "Warner RM et al. (2021) Cryobiology 98:219",
    evidence: "V",
  },
  {
    a: FORMAMIDE,
    b: GLYCEROL,
    kind: "less toxic binary",
    finding: "less toxic than either CPA alone at equal total concentration",
    citation: HIGGINS_2025,
    evidence: "V",
  },
  {
    a: DMSO,
    b: PG13,
    kind: "less toxic binary",
    finding: "less toxic than either CPA alone at equal total concentration",
    citation: HIGGINS_2025,
    evidence: "V",
  },
  {
    a: PG12,
    b: DEG,
    kind: "less toxic binary",
    finding: "less toxic than either CPA alone at equal total concentration",
    citation: HIGGINS_2025,
    evidence: "V",
  },
  {
    a: PG13,
    b: DEG,
    kind: "less toxic binary",
    finding: "less toxic than either CPA alone at equal total concentration",
    citation: HIGGINS_2025,
    evidence: "V",
  },
];

export interface PairComponent {
  name: string;
  /** One of them: the InChIKey the database holds, or a SMILES (RDKit computes the key). */
  inchikey?: string | null;
  smiles?: string | null;
}

export interface InteractionReport {
  flags: {
    components: [string, string];
    kind: KnownPair["kind"];
    finding: string;
    citation: string;
    evidence: Evidence;
  }[];
  /** Pairs of the mixture with no entry: named, not guessed. */
  no_data: [string, string][];
  /** Components without a structure or key: they cannot be matched to any entry. */
  unidentified: string[];
  scale: typeof EVIDENCE_SCALE;
}

let keyed: Promise<{ pair: KnownPair; ka: string; kb: string }[]> | undefined;
async function keyedPairs() {
  keyed ??= rdkit().then((R) =>
    KNOWN_PAIRS.map((pair) => {
      const key = (s: string) => {
        const st = computeStructure(R, s);
        if (isFailure(st)) throw new Error(`KNOWN_PAIRS: ${s}: ${st.error}`); // the table itself is wrong
        return st.inchikey;
      };
      return { pair, ka: key(pair.a.smiles), kb: key(pair.b.smiles) };
    })
  );
  return await keyed;
}

/** The known pairs among `components`, every other pair named as without data. INVALID_STRUCTURE for a bad SMILES. */
export async function flagInteractions(components: PairComponent[]): Promise<InteractionReport> {
  const R = await rdkit();
  const pairs = await keyedPairs();
  const ids = components.map((c) => {
    if (c.inchikey) return c.inchikey;
    if (c.smiles) {
      const s = computeStructure(R, c.smiles);
      if (isFailure(s)) throw new MixtureInputError("INVALID_STRUCTURE", s.error, c.name);
      return s.inchikey;
    }
    return null;
  });
  const flags: InteractionReport["flags"] = [];
  const no_data: [string, string][] = [];
  for (let i = 0; i < components.length; i++) {
    for (let j = i + 1; j < components.length; j++) {
      const [ki, kj] = [ids[i], ids[j]];
      if (!ki || !kj) continue;
      const hits = pairs.filter((p) => (p.ka === ki && p.kb === kj) || (p.ka === kj && p.kb === ki));
      if (hits.length === 0) no_data.push([components[i].name, components[j].name]);
      for (const h of hits) {
        flags.push({
          components: [components[i].name, components[j].name],
          kind: h.pair.kind,
          finding: h.pair.finding,
          citation: h.pair.citation,
          evidence: h.pair.evidence,
        });
      }
    }
  }
  return {
    flags,
    no_data,
    unidentified: components.filter((_, i) => !ids[i]).map((c) => c.name),
    scale: EVIDENCE_SCALE,
  };
}
