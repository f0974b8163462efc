/**
 * CryoProtect: summaries re-check access against the live rows (issue 7, item 5)
 * ---------------------------------------------------------------------------------------------------------
 * The materialized views are refreshed every 10–15 minutes (never, if pg_cron stops). Their copy of a
 * molecule's or mixture's team and visibility must not decide who reads the summary: a molecule made
 * private, or deleted, must stop being summarised to anyone who can no longer read it at once. The readers
 * now answer only when the LIVE row exists and the caller may read it (private.row_readable(), the access
 * model's read rule); the view supplies the numbers only.
 */

create or replace function private.read_molecule_property_summary(p_molecule_id pg_catalog.uuid)
returns table (molecule_id pg_catalog.uuid, property_type_id pg_catalog.uuid, property_code pg_catalog.text,
               value_count pg_catalog.int8, min_value pg_catalog.numeric, max_value pg_catalog.numeric,
               mean_value pg_catalog.numeric, source_count pg_catalog.int8)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select s.molecule_id, s.property_type_id, s.property_code, s.value_count, s.min_value, s.max_value, s.mean_value, s.source_count
  from public.molecules m
  join private.molecule_property_summary s on s.molecule_id = m.id
  where m.id = p_molecule_id
    and private.row_readable(m.team_id, m.visibility)
  order by s.property_code
$$;
comment on function private.read_molecule_property_summary(pg_catalog.uuid) is
  'Property summary of a molecule the caller may read now (access checked on the live molecule, numbers from the view).';

create or replace function private.read_mixture_composition_summary(p_mixture_id pg_catalog.uuid)
returns table (mixture_id pg_catalog.uuid, component_count pg_catalog.int8, penetrating_count pg_catalog.int8,
               non_penetrating_count pg_catalog.int8, molar_total pg_catalog.numeric, molal_total pg_catalog.numeric,
               percent_wv_total pg_catalog.numeric, percent_vv_total pg_catalog.numeric, solute_g_per_l pg_catalog.numeric)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select s.mixture_id, s.component_count, s.penetrating_count, s.non_penetrating_count, s.molar_total, s.molal_total,
         s.percent_wv_total, s.percent_vv_total, s.solute_g_per_l
  from public.mixtures x
  join private.mixture_composition_summary s on s.mixture_id = x.id
  where x.id = p_mixture_id
    and private.row_readable(x.team_id, x.visibility)
$$;
comment on function private.read_mixture_composition_summary(pg_catalog.uuid) is
  'Composition summary of a mixture the caller may read now (access checked on the live mixture, numbers from the view).';

revoke execute on function private.read_molecule_property_summary(pg_catalog.uuid),
  private.read_mixture_composition_summary(pg_catalog.uuid) from public;
grant execute on function private.read_molecule_property_summary(pg_catalog.uuid),
  private.read_mixture_composition_summary(pg_catalog.uuid) to anon, authenticated;
