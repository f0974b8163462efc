/**
 * CryoProtect: the per-molecule toxicity summary (issue 10, item 6)
 * ---------------------------------------------------------------------------------------------------------
 * private.toxicity_summary: one row per molecule and owner of records (public records, or one team's
 * private records), so that a team's values never enter what another caller reads: lowest and median LD50
 * per species and route with the qualifier of the lowest, the lowest GHS category, active / tested
 * hit calls per endpoint, and the number of records and sources. Formulation records are not a molecule's
 * and are not counted. Refreshed concurrently by pg_cron every 10 minutes and by the import commit; read
 * only through private.read_toxicity_summary(), which re-applies the access rule on the live molecule and
 * on the row's owner (public.toxicity_summary() is its Data API face).
 */

create materialized view private.toxicity_summary as
with ld50 as (
  select r.molecule_id, r.team_id, r.visibility, r.species, r.route,
         pg_catalog.count(*) as n,
         pg_catalog.min(r.value) as lowest,
         (pg_catalog.array_agg(r.qualifier::pg_catalog.text order by r.value, r.qualifier::pg_catalog.text))[1] as lowest_qualifier,
         pg_catalog.percentile_cont(0.5) within group (order by r.value) as median
  from public.toxicity_records r
  where r.molecule_id is not null and r.value_type = 'LD50'
  group by r.molecule_id, r.team_id, r.visibility, r.species, r.route
),
calls as (
  select r.molecule_id, r.team_id, r.visibility, e.code as endpoint,
         pg_catalog.count(*) as tested,
         pg_catalog.count(*) filter (where r.value = 1) as active
  from public.toxicity_records r
  join public.toxicity_endpoints e on e.id = r.endpoint_id
  where r.molecule_id is not null and r.value_type = 'hit_call'
  group by r.molecule_id, r.team_id, r.visibility, e.code
),
totals as (
  select r.molecule_id, r.team_id, r.visibility,
         pg_catalog.count(*) as record_count,
         pg_catalog.count(distinct r.source_id) as source_count,
         pg_catalog.min(r.value) filter (where r.value_type = 'GHS_category') as lowest_ghs_category,
         pg_catalog.bool_or(r.molecule_match = 'skeleton') as has_skeleton_matches
  from public.toxicity_records r
  where r.molecule_id is not null
  group by r.molecule_id, r.team_id, r.visibility
)
select t.molecule_id,
       coalesce(t.team_id, '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid) as owner_key,
       t.team_id, t.visibility, t.record_count, t.source_count, t.lowest_ghs_category::pg_catalog.int4 as lowest_ghs_category,
       t.has_skeleton_matches,
       coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'species', l.species, 'route', l.route, 'n', l.n, 'lowest', l.lowest,
                   'lowest_qualifier', l.lowest_qualifier, 'median', l.median, 'unit', 'mg/kg')
                 order by l.lowest, l.species, l.route)
                 from ld50 l
                 where l.molecule_id = t.molecule_id and l.team_id is not distinct from t.team_id and l.visibility = t.visibility),
                '[]'::pg_catalog.jsonb) as ld50,
       coalesce((select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('endpoint', c.endpoint, 'tested', c.tested, 'active', c.active)
                 order by c.endpoint)
                 from calls c
                 where c.molecule_id = t.molecule_id and c.team_id is not distinct from t.team_id and c.visibility = t.visibility),
                '[]'::pg_catalog.jsonb) as hit_calls
from totals t;
comment on materialized view private.toxicity_summary is
  'Per molecule × owner (public, or a team): LD50 per species/route, lowest GHS category, hit calls per endpoint, counts. Read via public.toxicity_summary().';
create unique index toxicity_summary_key on private.toxicity_summary (molecule_id, owner_key, visibility);
revoke all on private.toxicity_summary from public, anon, authenticated, cryo_service;

insert into private.matview_refresh_log (view_name, schedule) values ('toxicity_summary', '*/10 * * * *');
select cron.schedule('refresh-toxicity-summary', '*/10 * * * *', $$select private.refresh_catalogue_view('toxicity_summary')$$);

/**
 * private.read_toxicity_summary(p_molecule_ids uuid[]) returns table (...)
 * The summary rows of the given molecules that the caller may read now: the live molecule must be readable
 * (private.row_readable) and so must the row's owner (public rows, the caller's teams, a service client's
 * team). A molecule may thus have a public row and one row per team of the caller. At most 1,000 ids (22023).
 */
create or replace function private.read_toxicity_summary(p_molecule_ids pg_catalog.uuid[])
returns table (molecule_id pg_catalog.uuid, team_id pg_catalog.uuid, visibility pg_catalog.text, record_count pg_catalog.int8,
               source_count pg_catalog.int8, lowest_ghs_category pg_catalog.int4, has_skeleton_matches pg_catalog.bool,
               ld50 pg_catalog.jsonb, hit_calls pg_catalog.jsonb)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if pg_catalog.cardinality(p_molecule_ids) > 1000 then
    raise exception 'at most 1000 molecule ids' using errcode = '22023';
  end if;
  return query
  select s.molecule_id, s.team_id, s.visibility::pg_catalog.text, s.record_count, s.source_count, s.lowest_ghs_category,
         s.has_skeleton_matches, s.ld50, s.hit_calls
  from public.molecules m
  join private.toxicity_summary s on s.molecule_id = m.id
  where m.id = any (p_molecule_ids)
    and private.row_readable(m.team_id, m.visibility)
    and private.row_readable(s.team_id, s.visibility)
  order by s.molecule_id, s.team_id nulls first;
end
$$;
comment on function private.read_toxicity_summary(pg_catalog.uuid[]) is
  'Toxicity summary rows of readable molecules, owner rows the caller may read only (live access, numbers from the view).';
revoke execute on function private.read_toxicity_summary(pg_catalog.uuid[]) from public, anon, authenticated, cryo_service;
grant execute on function private.read_toxicity_summary(pg_catalog.uuid[]) to anon, authenticated, cryo_service;

/** The toxicity summary of molecules you may read (public rows and your teams' rows); empty otherwise. */
create or replace function public.toxicity_summary(molecule_ids pg_catalog.uuid[])
returns table (molecule_id pg_catalog.uuid, team_id pg_catalog.uuid, visibility pg_catalog.text, record_count pg_catalog.int8,
               source_count pg_catalog.int8, lowest_ghs_category pg_catalog.int4, has_skeleton_matches pg_catalog.bool,
               ld50 pg_catalog.jsonb, hit_calls pg_catalog.jsonb)
language sql
stable
set search_path = pg_catalog, pg_temp
as $$ select * from private.read_toxicity_summary(molecule_ids) $$;
comment on function public.toxicity_summary(pg_catalog.uuid[]) is
  'Toxicity summary of readable molecules (precomputed; see catalogue_refresh_status): one row per owner you may read.';
revoke execute on function public.toxicity_summary(pg_catalog.uuid[]) from public, anon, authenticated, cryo_service;
grant execute on function public.toxicity_summary(pg_catalog.uuid[]) to anon, authenticated, cryo_service;
