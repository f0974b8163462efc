/**
 * CryoProtect: mixtures
 * ---------------------------------------------------------------------------------------------------------
 * Vitrification solutions and other CPA mixtures (VS55, M22, DP6…) and their components. A component
 * is a molecule at a concentration *with its unit*; components inherit team and visibility from their
 * mixture, and may only use molecules the mixture's readers can see.
 */

/** --- Mixtures --- */

/** A named mixture with provenance, owner team and visibility. */
create table public.mixtures (
  id uuid primary key default gen_random_uuid(),
  name text not null check (btrim(name) <> ''),
  description text,
  total_concentration numeric check (total_concentration is null or total_concentration > 0),
  total_unit text check (total_unit in ('M', 'mol/kg', '% w/v', '% v/v')),
  source text not null check (btrim(source) <> ''),
  citation text,
  confidence text check (confidence in ('V', 'V2', 'C', 'U')),
  team_id uuid null references public.teams (id) on delete cascade,
  visibility text not null default 'public' check (visibility in ('public', 'team')),
  created_by uuid null default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint mixtures_team_visibility check (visibility = 'public' or team_id is not null),
  constraint mixtures_total_unit check (total_concentration is null or total_unit is not null),
  constraint mixtures_total_percent check (total_unit not in ('% w/v', '% v/v') or total_concentration <= 100)
);
comment on table public.mixtures is 'CPA mixtures (vitrification solutions), with provenance, owner team and visibility.';
create index mixtures_name_id_idx on public.mixtures (name, id);
create index mixtures_team_id_idx on public.mixtures (team_id);
create index mixtures_visibility_idx on public.mixtures (visibility);
create index mixtures_created_by_idx on public.mixtures (created_by);

create trigger mixtures_set_updated_at before update on public.mixtures
  for each row execute function private.set_updated_at();

/** One ingredient of a mixture: a molecule at a concentration in a fixed unit, with its role. */
create table public.mixture_components (
  id uuid primary key default gen_random_uuid(),
  mixture_id uuid not null references public.mixtures (id) on delete cascade,
  molecule_id uuid not null references public.molecules (id),
  concentration numeric not null check (concentration > 0),
  unit text not null check (unit in ('M', 'mol/kg', '% w/v', '% v/v')),
  role text check (role in ('penetrating', 'non_penetrating', 'carrier')),
  team_id uuid null references public.teams (id) on delete cascade,
  visibility text not null check (visibility in ('public', 'team')),
  constraint mixture_components_team_visibility check (visibility = 'public' or team_id is not null),
  constraint mixture_components_percent check (unit not in ('% w/v', '% v/v') or concentration <= 100),
  constraint mixture_components_unique unique (mixture_id, molecule_id)
);
comment on table public.mixture_components is
  'Components of mixtures (concentration with unit, role); team and visibility copied from the mixture.';
create index mixture_components_molecule_id_idx on public.mixture_components (molecule_id);
create index mixture_components_team_id_idx on public.mixture_components (team_id);
create index mixture_components_visibility_idx on public.mixture_components (visibility);

create trigger mixture_components_inherit_access before insert or update on public.mixture_components
  for each row execute function private.inherit_access('mixtures', 'mixture_id');

/**
 * private.check_component_molecule() trigger
 * A component may only use a molecule that everyone who can read the mixture can read: a public molecule,
 * or one of the mixture's own team (never another team's private molecule, never a private molecule in a
 * public mixture). Runs after inherit_access (trigger names sort), so team_id/visibility are the mixture's.
 */
create or replace function private.check_component_molecule()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  mol record;
begin
  select m.team_id, m.visibility into mol from public.molecules m where m.id = new.molecule_id;
  if not found or mol.visibility = 'public' then
    return new;
  end if;
  if new.visibility = 'public' or mol.team_id is distinct from new.team_id then
    raise exception 'mixture_components: molecule % is private to another team or cannot be used in a public mixture',
      new.molecule_id using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function private.check_component_molecule() is
  'Trigger: a component''s molecule must be public or belong to the mixture''s team (and the mixture be team-only).';
revoke execute on function private.check_component_molecule() from public;

create trigger mixture_components_xcheck_molecule before insert or update on public.mixture_components
  for each row execute function private.check_component_molecule();

create trigger mixtures_cascade_access after update of team_id, visibility on public.mixtures
  for each row when (new.team_id is distinct from old.team_id or new.visibility is distinct from old.visibility)
  execute function private.cascade_access('mixture_components', 'mixture_id');

/** --- Policies --- */
select private.apply_access_policies('public.mixtures', 'mixtures');
select private.apply_access_policies('public.mixture_components', 'mixtures');
