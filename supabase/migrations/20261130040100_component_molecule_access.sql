/**
 * A molecule used in a mixture cannot leave the readers of that mixture.
 * A component may only use a molecule that is public, or of the mixture's team with the mixture team-only
 * (private.mixture_component_access). That rule was checked when a component was written, and when a
 * mixture's access changed, but not when the molecule's changed: un-publishing a molecule used in a public
 * mixture (or in another team's mixture) left the component, and the mixture's composition summary, public.
 * Now the molecule's change is refused while any mixture it is used in would break the rule, with one
 * SQLSTATE and text whether that mixture is readable by the caller or not; and the composition summary
 * checks every component molecule's live access as well as the mixture's.
 */

/**
 * private.guard_molecule_access() trigger (before update of team_id, visibility on public.molecules)
 * Refuses a team or visibility change that would leave a mixture using the molecule with a component its
 * readers cannot read: 23514 'molecules: the molecule is used in mixtures that must keep reading it', the
 * same for the caller's own public mixture and another team's mixture (it names no mixture and no id).
 * Security definer so the mixtures of every team are checked.
 */
create or replace function private.guard_molecule_access()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if new.visibility = 'public' then
    return new;
  end if;
  if exists (
    select
    from public.mixture_components c
    join public.mixtures x on x.id = c.mixture_id
    where c.molecule_id = new.id
      and (x.visibility = 'public' or x.team_id is distinct from new.team_id)
  ) then
    raise exception 'molecules: the molecule is used in mixtures that must keep reading it' using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function private.guard_molecule_access() is
  'Trigger: refuses making a molecule private or moving it while a public or another team''s mixture uses it (one error, no id).';
revoke execute on function private.guard_molecule_access() from public, anon, authenticated, cryo_service;

create trigger molecules_guard_access before update of team_id, visibility on public.molecules
  for each row when (new.team_id is distinct from old.team_id or new.visibility is distinct from old.visibility)
  execute function private.guard_molecule_access();

/**
 * private.read_mixture_composition_summary(p_mixture_id uuid) returns table (...)
 * As before (numbers from the materialized view, access on the live mixture), and now also no row unless
 * the caller can read every live component molecule of the mixture.
 */
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
    and not exists (
      select
      from public.mixture_components c
      join public.molecules m on m.id = c.molecule_id
      where c.mixture_id = x.id
        and not private.row_readable(m.team_id, m.visibility)
    )
$$;
comment on function private.read_mixture_composition_summary(pg_catalog.uuid) is
  'Composition summary of a mixture the caller may read now, with every component molecule readable now (live rows; numbers from the view).';
revoke execute on function private.read_mixture_composition_summary(pg_catalog.uuid) from public;
grant execute on function private.read_mixture_composition_summary(pg_catalog.uuid) to anon, authenticated;
