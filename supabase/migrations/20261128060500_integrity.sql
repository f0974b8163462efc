/**
 * CryoProtect: integrity validation
 * ---------------------------------------------------------------------------------------------------------
 * What can be a constraint is one (units, ranges, InChIKey format, visibility/team, provenance present).
 * What spans rows is checked by private.validate_integrity(), one row per problem; pg_cron runs it daily
 * into private.integrity_report, and it can be called on demand.
 */

/** --- Report tables --- */

/** One row per integrity run: when, how long, how many problems. */
create table private.integrity_runs (
  id bigint generated always as identity primary key,
  run_at timestamptz not null default now(),
  duration_ms numeric not null,
  problem_count int not null
);
comment on table private.integrity_runs is 'History of integrity checks (daily by pg_cron, or on demand).';

/** The problems found by each run. */
create table private.integrity_report (
  run_id bigint not null references private.integrity_runs (id) on delete cascade,
  check_name text not null,
  table_name text not null,
  row_id uuid,
  detail text not null
);
comment on table private.integrity_report is 'Problems found by private.run_integrity_check(), one row each.';
create index integrity_report_run_id_idx on private.integrity_report (run_id);
revoke all on private.integrity_runs, private.integrity_report from public, anon, authenticated, cryo_service;

/** --- The checks --- */

/**
 * private.validate_integrity() returns table (check_name, table_name, row_id, detail)
 * One row per problem:
 *   access_mismatch          a child row whose team/visibility differs from its parent's
 *   component_not_visible    a component using a molecule the mixture's readers cannot see
 *   team_without_owner       a team nobody can manage (orphaned)
 *   mixture_without_components
 *   percent_over_100         a mixture whose % w/v or % v/v components sum above 100
 *   mass_over_physical       solutes (Σ c·MW for molar units + % w/v) above 1.5 kg per litre
 *   duplicate_structure      the same InChIKey twice within one owner (public, or one team)
 *   missing_citation         a validated value (confidence V/V2) without a citation
 */
create or replace function private.validate_integrity()
returns table (check_name text, table_name text, row_id uuid, detail text)
language sql
stable
set search_path = ''
as $$
  select 'access_mismatch', 'molecule_identifiers', c.id, format('molecule %s is %s/%s', c.molecule_id, p.team_id, p.visibility)
  from public.molecule_identifiers c join public.molecules p on p.id = c.molecule_id
  where c.team_id is distinct from p.team_id or c.visibility <> p.visibility
  union all
  select 'access_mismatch', 'molecular_properties', c.id, format('molecule %s is %s/%s', c.molecule_id, p.team_id, p.visibility)
  from public.molecular_properties c join public.molecules p on p.id = c.molecule_id
  where c.team_id is distinct from p.team_id or c.visibility <> p.visibility
  union all
  select 'access_mismatch', 'mixture_components', c.id, format('mixture %s is %s/%s', c.mixture_id, p.team_id, p.visibility)
  from public.mixture_components c join public.mixtures p on p.id = c.mixture_id
  where c.team_id is distinct from p.team_id or c.visibility <> p.visibility
  union all
  select 'component_not_visible', 'mixture_components', c.id,
         format('molecule %s (team %s) in a %s mixture of team %s', c.molecule_id, m.team_id, x.visibility, x.team_id)
  from public.mixture_components c
  join public.mixtures x on x.id = c.mixture_id
  join public.molecules m on m.id = c.molecule_id
  where m.visibility = 'team' and (x.visibility = 'public' or m.team_id is distinct from x.team_id)
  union all
  select 'team_without_owner', 'teams', t.id, format('team %s has no owner', t.name)
  from public.teams t
  where not exists (select from public.team_members m where m.team_id = t.id and m.role = 'owner')
  union all
  select 'mixture_without_components', 'mixtures', x.id, format('mixture %s has no components', x.name)
  from public.mixtures x
  where not exists (select from public.mixture_components c where c.mixture_id = x.id)
  union all
  select 'percent_over_100', 'mixtures', s.mixture_id, format('%s components sum to %s', s.unit, s.total)
  from (select c.mixture_id, c.unit, sum(c.concentration) as total
        from public.mixture_components c where c.unit in ('% w/v', '% v/v')
        group by c.mixture_id, c.unit) s
  where s.total > 100
  union all
  select 'mass_over_physical', 'mixtures', s.mixture_id, format('solutes amount to %s g/L (limit 1500)', round(s.g_per_l))
  from (select c.mixture_id,
               coalesce(sum(c.concentration * m.molecular_weight) filter (where c.unit = 'M'), 0)
                 + coalesce(sum(c.concentration * 10) filter (where c.unit = '% w/v'), 0) as g_per_l
        from public.mixture_components c join public.molecules m on m.id = c.molecule_id
        group by c.mixture_id) s
  where s.g_per_l > 1500
  union all
  select 'duplicate_structure', 'molecules', d.ids[2], format('InChIKey %s appears %s times (%s)', d.inchikey, cardinality(d.ids), d.ids)
  from (select m.inchikey, array_agg(m.id order by m.created_at, m.id) as ids
        from public.molecules m where m.inchikey is not null
        group by m.inchikey, m.team_id having count(*) > 1) d
  union all
  select 'missing_citation', r.tbl, r.id, format('confidence %s without citation', r.confidence)
  from (select 'molecules' as tbl, id, confidence, citation from public.molecules
        union all select 'mixtures', id, confidence, citation from public.mixtures
        union all select 'molecular_properties', id, confidence, citation from public.molecular_properties) r
  where r.confidence in ('V', 'V2') and coalesce(btrim(r.citation), '') = ''
$$;
comment on function private.validate_integrity() is
  'Cross-row integrity problems, one row each (orphans, impossible mixtures, duplicate structures, missing provenance).';
revoke execute on function private.validate_integrity() from public, anon, authenticated, cryo_service;

/**
 * private.run_integrity_check() returns bigint
 * Runs validate_integrity() into the report tables and returns the run id. Daily by pg_cron.
 */
create or replace function private.run_integrity_check()
returns bigint
language plpgsql
set search_path = ''
as $$
declare
  started timestamptz := clock_timestamp();
  run bigint;
  n int;
begin
  insert into private.integrity_runs (run_at, duration_ms, problem_count) values (started, 0, 0) returning id into run;
  insert into private.integrity_report (run_id, check_name, table_name, row_id, detail)
  select run, f.check_name, f.table_name, f.row_id, f.detail from private.validate_integrity() f;
  get diagnostics n = row_count;
  update private.integrity_runs
  set duration_ms = round(extract(epoch from clock_timestamp() - started)::numeric * 1000, 3), problem_count = n
  where id = run;
  return run;
end
$$;
comment on function private.run_integrity_check() is 'Records one integrity run and its problems; returns the run id.';
revoke execute on function private.run_integrity_check() from public, anon, authenticated, cryo_service;

select cron.schedule('validate-integrity', '41 3 * * *', $$select private.run_integrity_check()$$);
