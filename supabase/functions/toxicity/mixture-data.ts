// What the mixture estimate needs from the database, read as the caller (RLS decides every row): molecules
// resolved from the references a composition names, their oral-toxicity candidate records, and saved
// mixtures with their components. One transaction per request (read only), run by the handlers in mixtures.ts.
// A team's private molecule or record is only ever seen by that team's callers: nothing here bypasses RLS.
import type { Sql } from "postgres";
import { casValid, INCHIKEY_RE } from "../_shared/identifiers.mjs";
import type { ToxValue } from "../_shared/mixtures/ghs.ts";
import type { MixtureComponentInput } from "../_shared/mixtures/estimate.ts";
import { ApiError } from "../_shared/errors.ts";
import { CAS_SHAPE, UUID_RE } from "./schemas.ts";

type Tx = Sql;

export type RefKind = "id" | "inchikey" | "cas" | "name";

/** How a reference is read: a uuid, an InChIKey, a CAS number (check digit verified), else a name or synonym. */
export function refKind(ref: string): RefKind {
  if (UUID_RE.test(ref)) return "id";
  if (INCHIKEY_RE.test(ref)) return "inchikey";
  if (CAS_SHAPE.test(ref)) return "cas";
  return "name";
}

/** A molecule row as the estimate needs it. */
export type MoleculeRow = {
  id: string;
  name: string;
  inchikey: string | null;
  cas: string | null;
  smiles: string | null;
  kind: string;
  molecular_weight: number | null;
  visibility: "public" | "team";
};

/** A toxicity record that can serve as an acute oral value (LD50 or GHS category), as the caller may read it. */
export type ToxRow = {
  record_id: string;
  molecule_id: string;
  value_type: "LD50" | "GHS_category";
  qualifier: "=" | "<" | "<=" | ">" | ">=" | "~";
  value: number;
  species: string | null;
  route: string | null;
  molecule_match: "exact" | "skeleton";
  source: string;
  citation: string | null;
};

/** At most this many candidate records per molecule reach the value choice (lowest values first). */
export const RECORDS_PER_MOLECULE = 200;

/**
 * Throws 400 INVALID_IDENTIFIER for a CAS-shaped reference with a wrong check digit (it names nothing).
 * `path(i)` names the reference's place in the request. Called before any database work.
 */
export function checkRefs(refs: string[], path: (i: number) => string): void {
  refs.forEach((r, i) => {
    if (refKind(r) === "cas" && !casValid(r)) {
      throw new ApiError(400, "INVALID_IDENTIFIER", `${path(i)}: CAS check digit is wrong`, [
        { target: "json", path: path(i), message: "CAS check digit is wrong" },
      ]);
    }
  });
}

/**
 * Each reference's molecules, in one statement: by id, InChIKey, CAS (the molecule's own or a CAS identifier
 * row) or exact name / synonym (checkRefs first). Returns, per input index, the distinct molecules found (0, 1
 * or more).
 */
export async function resolveMolecules(tx: Tx, refs: string[]): Promise<{ kind: RefKind; found: MoleculeRow[] }[]> {
  const kinds = refs.map(refKind);
  const pick = (k: RefKind) => refs.filter((_, i) => kinds[i] === k);
  const rows = await tx<(MoleculeRow & { ref: string; by: RefKind })[]>`
    with hits as (
      select m.id::text as ref, 'id' as by, m.id from public.molecules m where m.id = any(${pick("id")}::uuid[])
      union all
      select m.inchikey, 'inchikey', m.id from public.molecules m where m.inchikey = any(${pick("inchikey")}::text[])
      union all
      select m.cas, 'cas', m.id from public.molecules m where m.cas = any(${pick("cas")}::text[])
      union all
      select i.value, 'cas', i.molecule_id from public.molecule_identifiers i
       where i.kind = 'cas' and i.value = any(${pick("cas")}::text[])
      union all
      select m.name, 'name', m.id from public.molecules m where m.name = any(${pick("name")}::text[])
      union all
      select s.syn, 'name', m.id from public.molecules m cross join lateral pg_catalog.unnest(m.synonyms) as s (syn)
       where m.synonyms operator(pg_catalog.&&) ${pick("name")}::text[] and s.syn = any(${pick("name")}::text[])
    )
    select distinct h.ref, h.by, m.id::text as id, m.name, m.inchikey, m.cas, m.smiles, m.kind,
           m.molecular_weight::float8 as molecular_weight, m.visibility
      from hits h join public.molecules m on m.id = h.id
     order by 1, 3`;
  return refs.map((ref, i) => {
    const key = kinds[i] === "id" ? ref.toLowerCase() : ref;
    const found = rows.filter((r) => r.by === kinds[i] && r.ref === key);
    return { kind: kinds[i], found: found.map(({ ref: _r, by: _b, ...m }) => m) };
  });
}

/** Every LD50 and GHS-category record of `moleculeIds` the caller may read (lowest first, capped per molecule). */
export async function oralCandidates(tx: Tx, moleculeIds: string[]): Promise<ToxRow[]> {
  if (!moleculeIds.length) return [];
  return await tx<ToxRow[]>`
    select r.id::text as record_id, r.molecule_id::text as molecule_id, r.value_type::text as value_type,
           r.qualifier::text as qualifier, r.value, r.species, r.route, r.molecule_match,
           s.name as source, coalesce(r.citation, s.citation, s.title) as citation
      from pg_catalog.unnest(${moleculeIds}::uuid[]) as q (molecule_id)
      cross join lateral (
        select t.* from public.toxicity_records t
         where t.molecule_id = q.molecule_id and t.value_type in ('LD50', 'GHS_category')
         order by t.value_type, t.value, t.id
         limit ${RECORDS_PER_MOLECULE}
      ) r
      join public.toxicity_sources s on s.id = r.source_id
     order by r.molecule_id, r.value_type, r.value, r.id`;
}

/** A record as the GHS value choice takes it (ghs.ts ToxValue); the citation names the source too. */
export function toToxValue(r: ToxRow): ToxValue {
  const citation = r.citation ? `${r.source}: ${r.citation}` : r.source;
  if (r.value_type === "GHS_category") {
    return {
      kind: "GHS_category",
      category: r.value as 1 | 2 | 3 | 4 | 5,
      species: r.species,
      route: r.route,
      citation,
    };
  }
  return { kind: "LD50", qualifier: r.qualifier, value: r.value, species: r.species, route: r.route, citation };
}

export type SavedMixture = {
  mixture: {
    id: string;
    name: string;
    description: string | null;
    source: string;
    citation: string | null;
    confidence: string | null;
    visibility: "public" | "team";
  };
  components: { concentration: number; unit: string; role: string | null; molecule: MoleculeRow | null }[];
};

/** A saved mixture and its components as the caller may read them, or null (none, or not readable). */
export async function savedMixture(tx: Tx, id: string): Promise<SavedMixture | null> {
  const [mixture] = await tx<SavedMixture["mixture"][]>`
    select x.id::text as id, x.name, x.description, x.source, x.citation, x.confidence, x.visibility
      from public.mixtures x where x.id = ${id}::uuid`;
  if (!mixture) return null;
  const rows = await tx<(MoleculeRow & { concentration: number; unit: string; role: string | null })[]>`
    select c.concentration::float8 as concentration, c.unit, c.role,
           m.id::text as id, m.name, m.inchikey, m.cas, m.smiles, m.kind,
           m.molecular_weight::float8 as molecular_weight, m.visibility
      from public.mixture_components c left join public.molecules m on m.id = c.molecule_id
     where c.mixture_id = ${id}::uuid
     order by c.concentration desc, m.name, c.id`;
  return {
    mixture,
    components: rows.map(({ concentration, unit, role, ...m }) => ({
      concentration,
      unit,
      role,
      molecule: m.id ? m : null,
    })),
  };
}

/** The estimate's input for one molecule: structure, MW, and its candidate values (exact matches only). */
export function componentInput(
  m: MoleculeRow,
  amount: { value: number; unit: string; density?: number | null },
  records: ToxRow[],
  extra: Partial<MixtureComponentInput> = {},
): MixtureComponentInput {
  return {
    name: m.name,
    value: amount.value,
    unit: amount.unit,
    density: amount.density ?? null,
    mw: m.molecular_weight,
    smiles: m.smiles,
    inchikey: m.inchikey,
    toxicity: records.filter((r) => r.molecule_id === m.id && r.molecule_match === "exact").map(toToxValue),
    ...extra,
  };
}
