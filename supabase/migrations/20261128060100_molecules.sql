/**
 * CryoProtect: molecules
 * ---------------------------------------------------------------------------------------------------------
 * Cryoprotective agents and anything else that goes into a mixture: structure (SMILES, InChI, InChIKey),
 * computed descriptors, provenance, and the owning team. Small molecules must carry a structure; polymers
 * (PVP, PEG, X-1000…) may not have one. External identifiers live in molecule_identifiers, whose rows
 * inherit team and visibility from their molecule (trigger private.inherit_access()).
 */

/** --- Shared row-access columns --- */

/**
 * private.inherit_access() trigger (arguments: parent table, foreign-key column)
 * Child rows carry their parent's team_id and visibility so that their policies filter on their own
 * indexed columns, without a join. Inserts may omit both (the columns have no default, so omitted means
 * null here; NOT NULL is checked after this trigger); a value that disagrees with the parent is rejected
 * (23514). Security definer so the parent is found even when the caller cannot read it: the
 * child's policy then decides.
 */
create or replace function private.inherit_access()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  parent_team uuid;
  parent_visibility text;
begin
  execute format('select team_id, visibility from public.%I where id = $1', tg_argv[0])
    into parent_team, parent_visibility using (to_jsonb(new) ->> tg_argv[1])::uuid;
  if parent_visibility is null then
    return new; -- no parent: the foreign key reports it
  end if;
  if new.team_id is not null and new.team_id is distinct from parent_team
     and (tg_op = 'INSERT' or new.team_id is distinct from old.team_id) then
    raise exception '%: team_id % does not match its parent in % (%)', tg_table_name, new.team_id, tg_argv[0],
      coalesce(parent_team::text, 'no team') using errcode = '23514';
  end if;
  if new.visibility is not null and new.visibility <> parent_visibility
     and (tg_op = 'INSERT' or new.visibility is distinct from old.visibility) then
    raise exception '%: visibility % does not match its parent in % (%)', tg_table_name, new.visibility, tg_argv[0],
      parent_visibility using errcode = '23514';
  end if;
  new.team_id := parent_team;
  new.visibility := parent_visibility;
  return new;
end
$$;
comment on function private.inherit_access() is
  'Trigger: copies team_id/visibility from the parent row (args: parent table, fk column); rejects a mismatching team.';
revoke execute on function private.inherit_access() from public;

/**
 * private.cascade_access() trigger (arguments: child table, foreign-key column, ...)
 * When a parent's team or visibility changes, its children follow, so no child is ever more visible
 * (or owned by another team) than its parent.
 */
create or replace function private.cascade_access()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  i int := 0;
begin
  while i < tg_nargs loop
    execute format('update public.%I set team_id = $1, visibility = $2 where %I = $3', tg_argv[i], tg_argv[i + 1])
      using new.team_id, new.visibility, new.id;
    i := i + 2;
  end loop;
  return null;
end
$$;
comment on function private.cascade_access() is
  'Trigger: pushes a parent''s new team_id/visibility down to its children (args: child table, fk column pairs).';
revoke execute on function private.cascade_access() from public;

/** --- Molecules --- */

/**
 * A molecule (small molecule or polymer) with computed descriptors and provenance. InChIKey is unique
 * among public molecules; a team may keep its own private copy of a structure.
 */
create table public.molecules (
  id uuid primary key default gen_random_uuid(),
  kind text not null default 'small_molecule' check (kind in ('small_molecule', 'polymer')),
  name text not null check (btrim(name) <> ''),
  synonyms text[] not null default '{}',
  smiles text,
  inchi text check (inchi is null or inchi like 'InChI=%'),
  inchikey text check (inchikey is null or inchikey ~ '^[A-Z]{14}-[A-Z]{10}-[A-Z]$'),
  formula text,
  molecular_weight numeric check (molecular_weight is null or molecular_weight > 0),
  exact_mass numeric check (exact_mass is null or exact_mass > 0),
  logp numeric,
  tpsa numeric check (tpsa is null or tpsa >= 0),
  hbd int check (hbd is null or hbd >= 0),
  hba int check (hba is null or hba >= 0),
  rotatable_bonds int check (rotatable_bonds is null or rotatable_bonds >= 0),
  pubchem_cid bigint check (pubchem_cid is null or pubchem_cid > 0),
  cas text check (cas is null or cas ~ '^[0-9]{2,7}-[0-9]{2}-[0-9]$'),
  source text not null check (btrim(source) <> ''),
  citation text,
  confidence text check (confidence in ('V', 'V2', 'C', 'U')),
  team_id uuid null references public.teams (id) on delete cascade,
  visibility text not null default 'public' check (visibility in ('public', 'team')),
  created_by uuid null default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint molecules_team_visibility check (visibility = 'public' or team_id is not null),
  constraint molecules_structure check (kind = 'polymer' or (smiles is not null and inchikey is not null))
);
comment on table public.molecules is
  'Cryoprotective agents and other mixture ingredients: structure, descriptors, provenance, owner team, visibility.';

create unique index molecules_public_inchikey_key on public.molecules (inchikey) where visibility = 'public';
-- Lookups by InChIKey also find team copies, which the partial unique index cannot serve.
create index molecules_inchikey_idx on public.molecules (inchikey);
create index molecules_name_id_idx on public.molecules (name, id);
create index molecules_team_id_idx on public.molecules (team_id);
create index molecules_visibility_idx on public.molecules (visibility);
create index molecules_created_by_idx on public.molecules (created_by);
create index molecules_pubchem_cid_idx on public.molecules (pubchem_cid);

create trigger molecules_set_updated_at before update on public.molecules
  for each row execute function private.set_updated_at();

/** External identifiers of a molecule (CAS, PubChem CID, DTXSID, ChEMBL id), each with its source. */
create table public.molecule_identifiers (
  id uuid primary key default gen_random_uuid(),
  molecule_id uuid not null references public.molecules (id) on delete cascade,
  kind text not null check (kind in ('cas', 'pubchem_cid', 'dtxsid', 'chembl_id')),
  value text not null check (btrim(value) <> ''),
  source text not null check (btrim(source) <> ''),
  team_id uuid null references public.teams (id) on delete cascade,
  visibility text not null check (visibility in ('public', 'team')),
  constraint molecule_identifiers_team_visibility check (visibility = 'public' or team_id is not null),
  constraint molecule_identifiers_unique unique (molecule_id, kind, value)
);
comment on table public.molecule_identifiers is
  'External identifiers of molecules; team and visibility copied from the molecule.';
create index molecule_identifiers_team_id_idx on public.molecule_identifiers (team_id);
create index molecule_identifiers_visibility_idx on public.molecule_identifiers (visibility);
create index molecule_identifiers_kind_value_idx on public.molecule_identifiers (kind, value);

create trigger molecule_identifiers_inherit_access before insert or update on public.molecule_identifiers
  for each row execute function private.inherit_access('molecules', 'molecule_id');

/** --- Policies --- */
select private.apply_access_policies('public.molecules', 'molecules');
select private.apply_access_policies('public.molecule_identifiers', 'molecules');
