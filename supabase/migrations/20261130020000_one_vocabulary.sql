/**
 * CryoProtect: one definition per vocabulary and formula (issue 8, item 5)
 * ---------------------------------------------------------------------------------------------------------
 * Until now each table repeated its own CHECK for visibility ('public', 'team'), confidence labels
 * ('V', 'V2', 'C', 'U'), concentration units ('M', 'mol/kg', '% w/v', '% v/v') and team roles ('owner',
 * 'editor', 'viewer'); the solute mass per litre (Σ c·MW of molar components + % w/v × 10 g/L) was written
 * twice (the composition view and private.validate_integrity()); and on mixture_components the molecule
 * check ran after the access inheritance only because "xcheck" sorts after "inherit".
 *
 * Vocabularies are DOMAINS in `public`, not lookup tables:
 *   - the values are part of the code (policies, triggers and the TypeScript side branch on them), not data
 *     an operator edits, so changing one is a migration either way;
 *   - a domain keeps the column `text`-compatible: PostgREST, the seed and every query keep sending and
 *     comparing plain strings, with no join and no foreign-key lookup on each insert;
 *   - the list exists once, in the catalog; `npm run snapshots:generate` writes it to
 *     supabase/functions/_shared/vocabulary.ts and the unit suite fails when that file is stale.
 * Changing a column's type fails while a view, policy or trigger definition uses it, so this migration
 * drops and re-creates, with the same names, comments, indexes and grants: the three catalogue
 * materialized views (their pg_cron jobs refer to them by name and keep working), the two cascade
 * triggers, and every policy (re-written by the one generator, private.apply_access_policies()).
 *
 * The solute mass is private.solute_g_per_l(), summed by both the view and the integrity check.
 * mixture_components has ONE access trigger, private.mixture_component_access(), which inherits the
 * mixture's team and visibility and then checks the molecule, in that order, in one function.
 */

/** --- Vocabularies --- */

create domain public.visibility as text check (value in ('public', 'team'));
comment on domain public.visibility is
  'Who reads a row: public (everyone, anon included) or team (members of the row''s team).';

create domain public.confidence_label as text check (value in ('V', 'V2', 'C', 'U'));
comment on domain public.confidence_label is
  'How far a value is verified: V verified at the source, V2 verified in a secondary source, C computed, U unverified.';

create domain public.concentration_unit as text check (value in ('M', 'mol/kg', '% w/v', '% v/v'));
comment on domain public.concentration_unit is
  'Units of a concentration: M (mol/L), mol/kg (molal), % w/v (g per 100 mL), % v/v (mL per 100 mL).';

create domain public.team_role as text check (value in ('owner', 'editor', 'viewer'));
comment on domain public.team_role is
  'A member''s role: owners manage the team and its members, editors write the team''s rows, viewers read them.';

/** --- What uses the columns, dropped to be re-created below --- */

drop materialized view private.molecule_property_summary;
drop materialized view private.mixture_composition_summary;
drop materialized view private.catalogue_counts;
drop trigger molecules_cascade_access on public.molecules;
drop trigger mixtures_cascade_access on public.mixtures;

do $$
declare
  p record;
begin
  for p in select pol.polname, pol.polrelid::pg_catalog.regclass as rel
           from pg_catalog.pg_policy pol join private.access_registry r on r.table_name = pol.polrelid loop
    execute pg_catalog.format('drop policy %I on %s', p.polname, p.rel);
  end loop;
end
$$;

/** --- Columns on the domains (each table's own CHECK goes: the domain checks) --- */

alter table public.molecules drop constraint molecules_visibility_check, drop constraint molecules_confidence_check,
  alter column visibility type public.visibility, alter column confidence type public.confidence_label;
alter table public.molecule_identifiers drop constraint molecule_identifiers_visibility_check,
  alter column visibility type public.visibility;
alter table public.mixtures drop constraint mixtures_visibility_check, drop constraint mixtures_confidence_check,
  drop constraint mixtures_total_unit_check,
  alter column visibility type public.visibility, alter column confidence type public.confidence_label,
  alter column total_unit type public.concentration_unit;
alter table public.mixture_components drop constraint mixture_components_visibility_check,
  drop constraint mixture_components_unit_check,
  alter column visibility type public.visibility, alter column unit type public.concentration_unit;
alter table public.molecular_properties drop constraint molecular_properties_visibility_check,
  drop constraint molecular_properties_confidence_check,
  alter column visibility type public.visibility, alter column confidence type public.confidence_label;
alter table public.team_members drop constraint team_members_role_check, alter column role type public.team_role;
alter table public.team_invitations drop constraint team_invitations_role_check, alter column role type public.team_role;

/** --- The solute-mass formula, once --- */

/**
 * private.solute_g_per_l(concentration numeric, unit text, molecular_weight numeric) returns numeric
 * Grams of solute per litre of solution contributed by one component: c × MW for a molar (M) component
 * (null when the molecule has no weight), c × 10 for % w/v (g per 100 mL), 0 for units that do not fix a
 * mass per litre (mol/kg needs the solvent mass, % v/v the density). Sum it over a mixture's components.
 */
create or replace function private.solute_g_per_l(concentration pg_catalog.numeric, unit pg_catalog.text,
  molecular_weight pg_catalog.numeric)
returns pg_catalog.numeric
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select case unit
    when 'M' then concentration operator(pg_catalog.*) molecular_weight
    when '% w/v' then concentration operator(pg_catalog.*) 10
    else 0
  end
$$;
comment on function private.solute_g_per_l(pg_catalog.numeric, pg_catalog.text, pg_catalog.numeric) is
  'g/L of solute from one component (M: c·MW; % w/v: c·10; other units 0); summed per mixture by the summary and the integrity check.';
revoke execute on function private.solute_g_per_l(pg_catalog.numeric, pg_catalog.text, pg_catalog.numeric) from public;

/** --- The catalogue materialized views, as before --- */

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

create materialized view private.mixture_composition_summary as
select x.id as mixture_id, x.team_id, x.visibility,
       count(c.id) as component_count,
       count(c.id) filter (where c.role = 'penetrating') as penetrating_count,
       count(c.id) filter (where c.role = 'non_penetrating') as non_penetrating_count,
       sum(c.concentration) filter (where c.unit = 'M') as molar_total,
       sum(c.concentration) filter (where c.unit = 'mol/kg') as molal_total,
       sum(c.concentration) filter (where c.unit = '% w/v') as percent_wv_total,
       sum(c.concentration) filter (where c.unit = '% v/v') as percent_vv_total,
       coalesce(sum(private.solute_g_per_l(c.concentration, c.unit, m.molecular_weight)), 0) as solute_g_per_l
from public.mixtures x
left join public.mixture_components c on c.mixture_id = x.id
left join public.molecules m on m.id = c.molecule_id
group by x.id, x.team_id, x.visibility;
comment on materialized view private.mixture_composition_summary is
  'Per mixture: component counts, totals per unit, solute g/L. Read via public.mixture_composition_summary().';
create unique index mixture_composition_summary_key on private.mixture_composition_summary (mixture_id);

create materialized view private.catalogue_counts as
select 'molecules'::text as entity, count(*) as row_count from public.molecules where visibility = 'public'
union all select 'mixtures', count(*) from public.mixtures where visibility = 'public'
union all select 'molecular_properties', count(*) from public.molecular_properties where visibility = 'public'
union all select 'property_types', count(*) from public.property_types;
comment on materialized view private.catalogue_counts is 'Counts of public catalogue rows. Read via public.catalogue_counts().';
create unique index catalogue_counts_key on private.catalogue_counts (entity);

revoke all on private.molecule_property_summary, private.mixture_composition_summary, private.catalogue_counts
  from public, anon, authenticated, cryo_service;

/** --- The integrity check, on the same formula --- */

create or replace function private.validate_integrity()
returns table (check_name text, table_name text, row_id uuid, detail text)
language sql
stable
set search_path = pg_catalog, pg_temp
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
  from (select c.mixture_id, coalesce(sum(private.solute_g_per_l(c.concentration, c.unit, m.molecular_weight)), 0) as g_per_l
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

/** --- Access inheritance: one step, shared; the component trigger runs both steps in order --- */

/**
 * private.inherited_access(child text, parent_table text, parent_id uuid, parent_changed bool,
 *                          claimed_team uuid, claimed_visibility text) returns (parent_team, parent_visibility)
 * The team and visibility a child row must carry: its parent's. The parent must exist AND, when the row
 * (re)points at it, be readable by the caller: a missing and a hidden parent raise the same 42501 with the
 * wording of a row-level security refusal. A team or visibility the statement claims (null when it claims
 * none) that disagrees with the parent raises 23514, naming no id. Runs inside the definer triggers.
 */
create or replace function private.inherited_access(child pg_catalog.text, parent_table pg_catalog.text,
  parent_id pg_catalog.uuid, parent_changed pg_catalog.bool, claimed_team pg_catalog.uuid, claimed_visibility pg_catalog.text,
  out parent_team pg_catalog.uuid, out parent_visibility pg_catalog.text)
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  execute pg_catalog.format('select p.team_id, p.visibility from public.%I p where p.id = $1', parent_table)
    into parent_team, parent_visibility using parent_id;
  if parent_visibility is null or (parent_changed and not private.row_readable(parent_team, parent_visibility)) then
    raise exception 'new row violates row-level security policy for table "%"', child using errcode = '42501';
  end if;
  if claimed_team is not null and claimed_team is distinct from parent_team then
    raise exception '%: team_id does not match the parent row', child using errcode = '23514';
  end if;
  if claimed_visibility is not null and claimed_visibility is distinct from parent_visibility then
    raise exception '%: visibility does not match the parent row', child using errcode = '23514';
  end if;
end
$$;
comment on function private.inherited_access(pg_catalog.text, pg_catalog.text, pg_catalog.uuid, pg_catalog.bool, pg_catalog.uuid, pg_catalog.text) is
  'Team and visibility a child row inherits from its readable parent; missing and hidden parents fail alike (42501), mismatches 23514.';
revoke execute on function private.inherited_access(pg_catalog.text, pg_catalog.text, pg_catalog.uuid, pg_catalog.bool, pg_catalog.uuid, pg_catalog.text)
  from public, anon, authenticated, cryo_service;

/**
 * private.inherit_access() trigger (arguments: parent table, foreign-key column)
 * Child rows carry their parent's team_id and visibility (private.inherited_access()). Security definer
 * so a project role cascading changes reaches every child and hidden parents can be told from none.
 */
create or replace function private.inherit_access()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  parent_id pg_catalog.uuid;
  fk_changed pg_catalog.bool;
begin
  begin
    parent_id := (pg_catalog.to_jsonb(new) operator(pg_catalog.->>) tg_argv[1])::pg_catalog.uuid;
  exception when others then
    parent_id := null;
  end;
  fk_changed := tg_op = 'INSERT'
    or (pg_catalog.to_jsonb(new) operator(pg_catalog.->) tg_argv[1]) is distinct from (pg_catalog.to_jsonb(old) operator(pg_catalog.->) tg_argv[1]);
  select a.parent_team, a.parent_visibility into new.team_id, new.visibility
  from private.inherited_access(tg_table_name, tg_argv[0], parent_id, fk_changed,
    case when tg_op = 'INSERT' or new.team_id is distinct from old.team_id then new.team_id end,
    case when tg_op = 'INSERT' or new.visibility is distinct from old.visibility then new.visibility end) a;
  return new;
end
$$;
comment on function private.inherit_access() is
  'Trigger: copies team_id/visibility from a readable parent (args: parent table, fk column); missing and hidden parents fail alike.';
revoke execute on function private.inherit_access() from public;

/**
 * private.mixture_component_access() trigger
 * A component's access, in this order: (1) it inherits its mixture's team and visibility (as
 * inherit_access); (2) its molecule must be readable by the caller (missing and hidden fail alike, 42501)
 * and be public, or of the mixture's team with the mixture team-only (23514 otherwise, naming no id).
 * Step 2 reads what step 1 set, so both live in one function instead of two triggers ordered by name.
 */
create or replace function private.mixture_component_access()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  mol_team pg_catalog.uuid;
  mol_visibility pg_catalog.text;
begin
  -- 1. the mixture's team and visibility
  select a.parent_team, a.parent_visibility into new.team_id, new.visibility
  from private.inherited_access(tg_table_name, 'mixtures', new.mixture_id,
    tg_op = 'INSERT' or new.mixture_id is distinct from old.mixture_id,
    case when tg_op = 'INSERT' or new.team_id is distinct from old.team_id then new.team_id end,
    case when tg_op = 'INSERT' or new.visibility is distinct from old.visibility then new.visibility end) a;

  -- 2. a molecule every reader of the mixture can read
  select m.team_id, m.visibility into mol_team, mol_visibility from public.molecules m where m.id = new.molecule_id;
  if mol_visibility is null
     or ((tg_op = 'INSERT' or new.molecule_id is distinct from old.molecule_id)
         and not private.row_readable(mol_team, mol_visibility)) then
    raise exception 'new row violates row-level security policy for table "%"', tg_table_name using errcode = '42501';
  end if;
  if mol_visibility = 'team' and (new.visibility = 'public' or mol_team is distinct from new.team_id) then
    raise exception 'mixture_components: a private molecule can only be used in a team-only mixture of its own team'
      using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function private.mixture_component_access() is
  'Trigger: a component inherits its mixture''s team/visibility, then its molecule must be readable and public or of that team.';
revoke execute on function private.mixture_component_access() from public;

drop trigger mixture_components_inherit_access on public.mixture_components;
drop trigger mixture_components_xcheck_molecule on public.mixture_components;
drop function private.check_component_molecule();
create trigger mixture_components_access before insert or update on public.mixture_components
  for each row execute function private.mixture_component_access();

/** --- Cascades and policies, as before --- */

create trigger molecules_cascade_access after update of team_id, visibility on public.molecules
  for each row when (new.team_id is distinct from old.team_id or new.visibility is distinct from old.visibility)
  execute function private.cascade_access('molecule_identifiers', 'molecule_id', 'molecular_properties', 'molecule_id');
create trigger mixtures_cascade_access after update of team_id, visibility on public.mixtures
  for each row when (new.team_id is distinct from old.team_id or new.visibility is distinct from old.visibility)
  execute function private.cascade_access('mixture_components', 'mixture_id');

select private.apply_access_policies(r.table_name, r.resource, r.kind) from private.access_registry r order by r.table_name::pg_catalog.text;
