// What the molecule chart needs, read as the caller (RLS decides every row): the molecule (by uuid, InChIKey or
// CAS), its LD50 records, the lowest oral LD50 of other CPAs, and its hit calls by endpoint.
import type { Sql } from "postgres";
import type { HitCalls, Ld50Point } from "./chart-spec.ts";
import { type MoleculeRow, resolveMolecules } from "./mixture-data.ts";

/** LD50 records of the molecule drawn at most (lowest first); other CPAs compared at most. */
export const MAX_LD50_POINTS = 200;
export const MAX_OTHER_CPAS = 40;

/** The molecules `ref` (uuid, InChIKey or CAS; the caller checked its kind) names for this caller. */
export async function moleculesByRef(tx: Sql, ref: string): Promise<MoleculeRow[]> {
  return (await resolveMolecules(tx, [ref]))[0].found;
}

/** The chart's rows for molecule `m`. */
export async function moleculeChartData(tx: Sql, m: MoleculeRow): Promise<{ points: Ld50Point[]; hits: HitCalls[] }> {
  const own = await tx<Ld50Point[]>`
    select ${m.name}::text as molecule, true as this_molecule, r.value, r.qualifier::text as qualifier, r.species,
           r.route, s.name as source, r.molecule_match = 'skeleton' as skeleton_match
      from public.toxicity_records r join public.toxicity_sources s on s.id = r.source_id
     where r.molecule_id = ${m.id}::uuid and r.value_type = 'LD50'
     order by r.value, r.id
     limit ${MAX_LD50_POINTS}`;
  // Other CPAs: molecules used in mixtures the caller can read, each with its lowest exact oral LD50 (else its
  // lowest oral value of any qualifier, shown with that qualifier).
  const others = await tx<Ld50Point[]>`
    select m.name as molecule, false as this_molecule, r.value, r.qualifier::text as qualifier, r.species, r.route,
           s.name as source, false as skeleton_match
      from (select distinct c.molecule_id from public.mixture_components c
             where c.molecule_id <> ${m.id}::uuid limit 500) k
      join public.molecules m on m.id = k.molecule_id
      cross join lateral (
        select t.value, t.qualifier, t.species, t.route, t.source_id from public.toxicity_records t
         where t.molecule_id = m.id and t.value_type = 'LD50' and t.molecule_match = 'exact'
           and t.route ~* '^\\s*oral\\M'
         order by (t.qualifier = '=') desc, t.value, t.id
         limit 1
      ) r
      join public.toxicity_sources s on s.id = r.source_id
     order by r.value, m.name
     limit ${MAX_OTHER_CPAS}`;
  const hits = await tx<HitCalls[]>`
    select e.code as endpoint, count(*)::int as tested, (count(*) filter (where r.value = 1))::int as active
      from public.toxicity_records r join public.toxicity_endpoints e on e.id = r.endpoint_id
     where r.molecule_id = ${m.id}::uuid and r.value_type = 'hit_call'
     group by e.code
     order by e.code`;
  return { points: [...own, ...others], hits };
}
