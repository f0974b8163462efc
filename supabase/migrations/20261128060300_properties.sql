/**
 * CryoProtect: properties
 * ---------------------------------------------------------------------------------------------------------
 * Measured and computed properties of molecules (toxicity, glass transition, viscosity…). property_types
 * is public reference data curated by the project; molecular_properties rows inherit team and visibility
 * from their molecule.
 */

/** --- Property types --- */

/** A kind of property with its canonical unit; public reference data. */
create table public.property_types (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (btrim(code) <> ''),
  name text not null check (btrim(name) <> ''),
  canonical_unit text,
  value_kind text default 'numeric' check (value_kind in ('numeric', 'text')),
  description text
);
comment on table public.property_types is 'Kinds of molecular properties and their canonical units (reference data).';

/** --- Molecular properties --- */

/** One property value of a molecule, with conditions (temperature, method, species, route) and provenance. */
create table public.molecular_properties (
  id uuid primary key default gen_random_uuid(),
  molecule_id uuid not null references public.molecules (id) on delete cascade,
  property_type_id uuid not null references public.property_types (id),
  numeric_value numeric,
  text_value text,
  unit text,
  qualifier text default '=' check (qualifier in ('=', '<', '<=', '>', '>=', '~')),
  temperature_c numeric check (temperature_c is null or temperature_c >= -273.15),
  method text,
  species text,
  route text,
  source text not null check (btrim(source) <> ''),
  citation text,
  confidence text check (confidence in ('V', 'V2', 'C', 'U')),
  team_id uuid null references public.teams (id) on delete cascade,
  visibility text not null check (visibility in ('public', 'team')),
  constraint molecular_properties_team_visibility check (visibility = 'public' or team_id is not null),
  constraint molecular_properties_has_value check (numeric_value is not null or text_value is not null),
  constraint molecular_properties_percent check (unit is distinct from '%' or numeric_value between 0 and 100)
);
comment on table public.molecular_properties is
  'Property values of molecules with conditions and provenance; team and visibility copied from the molecule.';
create index molecular_properties_molecule_id_idx on public.molecular_properties (molecule_id, property_type_id);
create index molecular_properties_property_type_id_idx on public.molecular_properties (property_type_id);
create index molecular_properties_team_id_idx on public.molecular_properties (team_id);
create index molecular_properties_visibility_idx on public.molecular_properties (visibility);

create trigger molecular_properties_inherit_access before insert or update on public.molecular_properties
  for each row execute function private.inherit_access('molecules', 'molecule_id');

create trigger molecules_cascade_access after update of team_id, visibility on public.molecules
  for each row when (new.team_id is distinct from old.team_id or new.visibility is distinct from old.visibility)
  execute function private.cascade_access('molecule_identifiers', 'molecule_id', 'molecular_properties', 'molecule_id');

/** --- Policies --- */
select private.apply_access_policies('public.property_types', 'properties', 'reference');
select private.apply_access_policies('public.molecular_properties', 'properties');
