/**
 * CryoProtect: catalogue views
 * ---------------------------------------------------------------------------------------------------------
 * The hot aggregates, precomputed: per-molecule property summary, per-mixture composition summary and
 * public catalogue counts. Materialized views cannot carry RLS, so they live in `private`, unreadable by
 * the API roles, and are reached only through functions that re-apply the access rule (public rows, or
 * rows of the caller's teams). pg_cron refreshes each one concurrently (never blocking readers) at the
 * interval stated in private.matview_refresh_log, which also records when and how long each refresh took.
 */

/** --- Materialized views --- */

/** Per molecule and property type: how many values, their numeric range and mean, how many sources. */
create materialized view private.molecule_property_summary as
select p.molecule_id, p.property_type_id, t.code as property_code, m.team_id, m.visibility,
       count(*) as value_count,
       min(p.numeric_value) as min_value, max(p.numeric_value) as max_value, avg(p.numeric_value) as mean_value,
       count(distinct p.source) as source_count
from public.molecular_properties p
join public.property_types t on t.id = p.property_type_id
join public.molecules m on m.id = p.molecule_id
group by p.molecule_id, p.property_type_id, t.code, m.team_id, m.visibility;
comment on materialized view private.molecule_property_summary is
  'Per molecule × property type: count, numeric min/max/mean, number of sources. Read via public.molecule_property_summary().';
create unique index molecule_property_summary_key on private.molecule_property_summary (molecule_id, property_type_id);

/**
 * Per mixture: component counts, concentration totals per unit, and the solute mass per litre implied by
 * molar and % w/v components (what the integrity check compares with physical limits).
 */
create materialized view private.mixture_composition_summary as
select x.id as mixture_id, x.team_id, x.visibility,
       count(c.id) as component_count,
       count(c.id) filter (where c.role = 'penetrating') as penetrating_count,
       count(c.id) filter (where c.role = 'non_penetrating') as non_penetrating_count,
       sum(c.concentration) filter (where c.unit = 'M') as molar_total,
       sum(c.concentration) filter (where c.unit = 'mol/kg') as molal_total,
       sum(c.concentration) filter (where c.unit = '% w/v') as percent_wv_total,
       sum(c.concentration) filter (where c.unit = '% v/v') as percent_vv_total,
       coalesce(sum(c.concentration * m.molecular_weight) filter (where c.unit = 'M'), 0)
         + coalesce(sum(c.concentration * 10) filter (where c.unit = '% w/v'), 0) as solute_g_per_l
from public.mixtures x
left join public.mixture_components c on c.mixture_id = x.id
left join public.molecules m on m.id = c.molecule_id
group by x.id, x.team_id, x.visibility;
comment on materialized view private.mixture_composition_summary is
  'Per mixture: component counts, totals per unit, solute g/L. Read via public.mixture_composition_summary().';
create unique index mixture_composition_summary_key on private.mixture_composition_summary (mixture_id);

/** How much public data the catalogue holds (the landing-page numbers; public rows only). */
create materialized view private.catalogue_counts as
select 'molecules'::text as entity, count(*) as row_count from public.molecules where visibility = 'public'
union all select 'mixtures', count(*) from public.mixtures where visibility = 'public'
union all select 'molecular_properties', count(*) from public.molecular_properties where visibility = 'public'
union all select 'property_types', count(*) from public.property_types;
comment on materialized view private.catalogue_counts is 'Counts of public catalogue rows. Read via public.catalogue_counts().';
create unique index catalogue_counts_key on private.catalogue_counts (entity);

revoke all on private.molecule_property_summary, private.mixture_composition_summary, private.catalogue_counts
  from public, anon, authenticated, cryo_service;

/** --- Refresh bookkeeping --- */

/** One row per materialized view: its cron schedule, and when and how fast it was last refreshed. */
create table private.matview_refresh_log (
  view_name text primary key,
  schedule text not null,
  last_refreshed_at timestamptz,
  last_duration_ms numeric,
  refresh_count bigint not null default 0
);
comment on table private.matview_refresh_log is 'Schedule and last refresh (time, duration) of each catalogue materialized view.';
revoke all on private.matview_refresh_log from public, anon, authenticated, cryo_service;
-- Status is not secret: the API roles read it through public.catalogue_refresh_status.
grant select on private.matview_refresh_log to anon, authenticated;

insert into private.matview_refresh_log (view_name, schedule) values
  ('molecule_property_summary', '*/15 * * * *'),
  ('mixture_composition_summary', '*/10 * * * *'),
  ('catalogue_counts', '7 * * * *');

/**
 * private.refresh_catalogue_view(name text) returns numeric
 * Refreshes one catalogue view concurrently (readers keep the old contents meanwhile), records the time
 * and duration, and returns the duration in ms. Run by pg_cron as the project owner; callable on demand.
 */
create or replace function private.refresh_catalogue_view(name text)
returns numeric
language plpgsql
set search_path = ''
as $$
declare
  started timestamptz := clock_timestamp();
  took numeric;
begin
  if not exists (select from private.matview_refresh_log l where l.view_name = name) then
    raise exception 'refresh_catalogue_view: unknown view %', name using errcode = '22023';
  end if;
  execute format('refresh materialized view concurrently private.%I', name);
  took := round(extract(epoch from clock_timestamp() - started)::numeric * 1000, 3);
  update private.matview_refresh_log l
  set last_refreshed_at = started, last_duration_ms = took, refresh_count = l.refresh_count + 1
  where l.view_name = name;
  return took;
end
$$;
comment on function private.refresh_catalogue_view(text) is
  'Refreshes one catalogue materialized view concurrently and records when and how long it took.';
revoke execute on function private.refresh_catalogue_view(text) from public, anon, authenticated, cryo_service;

/** Status of every catalogue view: schedule, last refresh, its duration, and how stale it is now. */
create view public.catalogue_refresh_status with (security_invoker = true) as
select l.view_name, l.schedule, l.last_refreshed_at, l.last_duration_ms, l.refresh_count,
       now() - l.last_refreshed_at as age
from private.matview_refresh_log l;
comment on view public.catalogue_refresh_status is 'When each catalogue view last refreshed, how long it took, and its cron schedule.';
revoke all on public.catalogue_refresh_status from public, anon, authenticated, cryo_service;
grant select on public.catalogue_refresh_status to anon, authenticated;

/** --- Readers that re-apply the access rule --- */

/**
 * private.read_molecule_property_summary(p_molecule_id uuid) returns setof summary rows
 * The property summary of one molecule, only if the caller may read the molecule (public, or of one of
 * their teams). Security definer because the materialized view is not readable by the API roles.
 */
create or replace function private.read_molecule_property_summary(p_molecule_id uuid)
returns table (molecule_id uuid, property_type_id uuid, property_code text, value_count bigint,
               min_value numeric, max_value numeric, mean_value numeric, source_count bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select s.molecule_id, s.property_type_id, s.property_code, s.value_count, s.min_value, s.max_value, s.mean_value, s.source_count
  from private.molecule_property_summary s
  where s.molecule_id = p_molecule_id
    and (s.visibility = 'public' or s.team_id = any ((select private.my_team_ids())::uuid[]))
  order by s.property_code
$$;
comment on function private.read_molecule_property_summary(uuid) is
  'Property summary of a molecule the caller may read (access rule re-applied over the materialized view).';

/**
 * private.read_mixture_composition_summary(p_mixture_id uuid) returns setof summary rows
 * The composition summary of one mixture the caller may read.
 */
create or replace function private.read_mixture_composition_summary(p_mixture_id uuid)
returns table (mixture_id uuid, component_count bigint, penetrating_count bigint, non_penetrating_count bigint,
               molar_total numeric, molal_total numeric, percent_wv_total numeric, percent_vv_total numeric,
               solute_g_per_l numeric)
language sql
stable
security definer
set search_path = ''
as $$
  select s.mixture_id, s.component_count, s.penetrating_count, s.non_penetrating_count, s.molar_total, s.molal_total,
         s.percent_wv_total, s.percent_vv_total, s.solute_g_per_l
  from private.mixture_composition_summary s
  where s.mixture_id = p_mixture_id
    and (s.visibility = 'public' or s.team_id = any ((select private.my_team_ids())::uuid[]))
$$;
comment on function private.read_mixture_composition_summary(uuid) is
  'Composition summary of a mixture the caller may read (access rule re-applied over the materialized view).';

/**
 * private.read_catalogue_counts() returns setof (entity, row_count)
 * Counts of public rows: the same for every caller.
 */
create or replace function private.read_catalogue_counts()
returns table (entity text, row_count bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select c.entity, c.row_count from private.catalogue_counts c order by c.entity
$$;
comment on function private.read_catalogue_counts() is 'Public catalogue counts (public rows only, so no per-caller filter).';

revoke execute on function private.read_molecule_property_summary(uuid), private.read_mixture_composition_summary(uuid),
  private.read_catalogue_counts() from public;
grant execute on function private.read_molecule_property_summary(uuid), private.read_mixture_composition_summary(uuid),
  private.read_catalogue_counts() to anon, authenticated;

/** --- The API surface (security invoker; RPCs of the Data API) --- */

/** The property summary of a molecule you may read; empty otherwise. */
create or replace function public.molecule_property_summary(molecule_id uuid)
returns table (molecule_id uuid, property_type_id uuid, property_code text, value_count bigint,
               min_value numeric, max_value numeric, mean_value numeric, source_count bigint)
language sql
stable
set search_path = ''
as $$ select * from private.read_molecule_property_summary(molecule_id) $$;
comment on function public.molecule_property_summary(uuid) is 'Property summary of a readable molecule (precomputed; see catalogue_refresh_status).';

/** The composition summary of a mixture you may read; empty otherwise. */
create or replace function public.mixture_composition_summary(mixture_id uuid)
returns table (mixture_id uuid, component_count bigint, penetrating_count bigint, non_penetrating_count bigint,
               molar_total numeric, molal_total numeric, percent_wv_total numeric, percent_vv_total numeric,
               solute_g_per_l numeric)
language sql
stable
set search_path = ''
as $$ select * from private.read_mixture_composition_summary(mixture_id) $$;
comment on function public.mixture_composition_summary(uuid) is 'Composition summary of a readable mixture (precomputed).';

/** How many public molecules, mixtures, properties and property types the catalogue holds. */
create or replace function public.catalogue_counts()
returns table (entity text, row_count bigint)
language sql
stable
set search_path = ''
as $$ select * from private.read_catalogue_counts() $$;
comment on function public.catalogue_counts() is 'Counts of public catalogue rows (precomputed).';

revoke execute on function public.molecule_property_summary(uuid), public.mixture_composition_summary(uuid),
  public.catalogue_counts() from public, anon, authenticated, cryo_service;
grant execute on function public.molecule_property_summary(uuid), public.mixture_composition_summary(uuid),
  public.catalogue_counts() to anon, authenticated;

/** --- Schedules (pg_cron 1.4: five-field cron syntax) --- */
select cron.schedule('refresh-molecule-property-summary', '*/15 * * * *',
  $$select private.refresh_catalogue_view('molecule_property_summary')$$);
select cron.schedule('refresh-mixture-composition-summary', '*/10 * * * *',
  $$select private.refresh_catalogue_view('mixture_composition_summary')$$);
select cron.schedule('refresh-catalogue-counts', '7 * * * *',
  $$select private.refresh_catalogue_view('catalogue_counts')$$);
-- cron.job_run_details is never cleaned by pg_cron itself.
select cron.schedule('purge-cron-run-details', '23 4 * * *',
  $$delete from cron.job_run_details where end_time < now() - interval '7 days'$$);
