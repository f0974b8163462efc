/**
 * CryoProtect: definer hardening (issue 7, item 1)
 * ---------------------------------------------------------------------------------------------------------
 * An API role may plant anything in its session's temporary schema: tables, types, domains whose CHECK
 * runs its own code. Postgres searches that schema FIRST for relations and types unless `pg_temp` is named
 * explicitly in search_path (an empty search_path does not help). A security-definer function that names a
 * type or table without a schema (`::uuid`, a `text` variable, `team_members`) then runs the caller's code
 * as the function's owner.
 *
 * From here on:
 *   - every function in `private` (definer or not: invokers run as the definer when a definer calls them)
 *     has `search_path = pg_catalog, pg_temp` (pg_temp explicitly last) and names every type, table and
 *     function with its schema, plpgsql variables included;
 *   - the project has ONE identity source, private.request_claims() / private.uid() / private.email(),
 *     which read only `request.jwt.claims` (never the legacy `request.jwt.claim.*` settings) and never
 *     error. Definers and policies no longer call auth.uid()/auth.jwt(): those platform functions have
 *     `search_path ''` and unqualified casts, so inside a definer they would resolve the caller's types;
 *   - service_has_scope() and service_team_id() no longer need to be definers (they only read a setting);
 *   - the policy generator is re-created on the same helpers and re-applied to every registered table;
 *   - TEMPORARY on the database is revoked from PUBLIC where the platform lets `postgres` do it.
 * A pgTAP suite (10-threat-definer-temp-shadowing.sql) plants shadows of every type and table name and calls
 * every definer and definer trigger as each API role; a catalog check fails on any definer without the
 * safe search_path.
 */

/** --- The one identity source --- */

/**
 * private.request_claims() returns jsonb
 * The JWT claims of the current request (the `request.jwt.claims` setting the edge functions and PostgREST
 * set per transaction), or null when unset, empty, not JSON or not a JSON object. Never raises: a bad
 * setting means "no identity", not a 500.
 */
create or replace function private.request_claims()
returns pg_catalog.jsonb
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  raw pg_catalog.text := pg_catalog.current_setting('request.jwt.claims', true);
  claims pg_catalog.jsonb;
begin
  if raw is null or raw = '' then
    return null;
  end if;
  begin
    claims := raw::pg_catalog.jsonb;
  exception when others then
    return null;
  end;
  if pg_catalog.jsonb_typeof(claims) is distinct from 'object' then
    return null;
  end if;
  return claims;
end
$$;
comment on function private.request_claims() is
  'Claims of the current request (jsonb object) from request.jwt.claims only; null when absent or malformed, never an error.';

/**
 * private.uid() returns uuid
 * The signed-in user: the `sub` claim when it is a uuid, else null (service clients carry a non-uuid sub).
 */
create or replace function private.uid()
returns pg_catalog.uuid
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  sub pg_catalog.text := private.request_claims() operator(pg_catalog.->>) 'sub';
begin
  if sub operator(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return sub::pg_catalog.uuid;
  end if;
  return null;
end
$$;
comment on function private.uid() is 'The calling user (uuid `sub` claim); null for anon, service clients (non-uuid sub) and malformed claims.';

/**
 * private.email() returns text
 * The caller's e-mail claim, lower-cased and trimmed; null when absent or not a string.
 */
create or replace function private.email()
returns pg_catalog.text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select nullif(pg_catalog.lower(pg_catalog.btrim(
    case when pg_catalog.jsonb_typeof(private.request_claims() operator(pg_catalog.->) 'email') = 'string'
         then private.request_claims() operator(pg_catalog.->>) 'email' end)), '')
$$;
comment on function private.email() is 'The caller''s e-mail claim (lower-case), or null.';

revoke execute on function private.request_claims(), private.uid(), private.email() from public;
grant execute on function private.request_claims(), private.uid(), private.email() to anon, authenticated, cryo_service;

/** --- Access helpers: definers, every name qualified --- */

create or replace function private.my_team_ids()
returns pg_catalog.uuid[]
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(pg_catalog.array_agg(m.team_id), '{}')
  from public.team_members m
  where m.user_id = (select private.uid())
$$;
comment on function private.my_team_ids() is
  'Teams of the calling user (uuid[]); security definer so policies can read membership without recursion.';

create or replace function private.my_editable_team_ids()
returns pg_catalog.uuid[]
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(pg_catalog.array_agg(m.team_id), '{}')
  from public.team_members m
  where m.user_id = (select private.uid()) and m.role in ('owner', 'editor')
$$;
comment on function private.my_editable_team_ids() is 'Teams where the calling user is editor or owner (uuid[]).';

create or replace function private.my_owned_team_ids()
returns pg_catalog.uuid[]
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(pg_catalog.array_agg(m.team_id), '{}')
  from public.team_members m
  where m.user_id = (select private.uid()) and m.role = 'owner'
$$;
comment on function private.my_owned_team_ids() is 'Teams the calling user owns (uuid[]).';

create or replace function private.my_teammate_ids()
returns pg_catalog.uuid[]
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(pg_catalog.array_agg(distinct o.user_id), '{}')
  from public.team_members m
  join public.team_members o on o.team_id = m.team_id
  where m.user_id = (select private.uid())
$$;
comment on function private.my_teammate_ids() is 'Users sharing a team with the caller (uuid[]).';

/**
 * private.service_has_scope(resource text, action text) returns boolean
 * Whether the token's `scope` claim grants <resource>:<action> (write implies read). No longer a definer:
 * it reads only the request's claims.
 */
create or replace function private.service_has_scope(resource pg_catalog.text, action pg_catalog.text)
returns pg_catalog.bool
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(
    pg_catalog.string_to_array(nullif(pg_catalog.btrim(private.request_claims() operator(pg_catalog.->>) 'scope'), ''), ' ')
      operator(pg_catalog.&&) case action
           when 'read' then array[resource operator(pg_catalog.||) ':read', resource operator(pg_catalog.||) ':write']
           when 'write' then array[resource operator(pg_catalog.||) ':write']
           else array[]::pg_catalog.text[]
         end,
    false)
$$;
comment on function private.service_has_scope(pg_catalog.text, pg_catalog.text) is
  'Whether the token scope claim grants <resource>:<action> (write implies read).';

/**
 * private.service_team_id() returns uuid
 * The service client's team (`team_id` claim), or null when absent or not a uuid. Not a definer.
 */
create or replace function private.service_team_id()
returns pg_catalog.uuid
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
  team pg_catalog.text := private.request_claims() operator(pg_catalog.->>) 'team_id';
begin
  if team operator(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return team::pg_catalog.uuid;
  end if;
  return null;
end
$$;
comment on function private.service_team_id() is 'Team of the scoped service client (team_id claim), null if absent or malformed.';

revoke execute on function private.my_team_ids(), private.my_editable_team_ids(), private.my_owned_team_ids(),
  private.my_teammate_ids(), private.service_has_scope(pg_catalog.text, pg_catalog.text), private.service_team_id() from public;
grant execute on function private.my_team_ids(), private.my_editable_team_ids(), private.my_owned_team_ids(),
  private.my_teammate_ids(), private.service_has_scope(pg_catalog.text, pg_catalog.text), private.service_team_id()
  to anon, authenticated, cryo_service;

/**
 * private.is_project_role(role_name text) returns boolean
 * Whether the role bypasses row-level security (superuser or BYPASSRLS: postgres, service_role): the
 * project's own roles, which read everything and may set server-owned columns. Every other role, the API
 * roles and any added later, follows the access model.
 */
create or replace function private.is_project_role(role_name pg_catalog.text)
returns pg_catalog.bool
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select coalesce((select r.rolsuper or r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = role_name), false)
$$;
comment on function private.is_project_role(pg_catalog.text) is
  'Whether a role bypasses RLS (superuser or BYPASSRLS): the project''s own roles, not the API roles.';
revoke execute on function private.is_project_role(pg_catalog.text) from public;
grant execute on function private.is_project_role(pg_catalog.text) to anon, authenticated, cryo_service;

/**
 * private.row_readable(team uuid, visibility text) returns boolean
 * Whether the caller may read a row with this team and visibility, by the access model's read rule:
 * public rows; rows of the user's teams (role authenticated); for a service client (role cryo_service), rows
 * of its team; everything for the project's own roles (private.is_project_role). The caller's role is the
 * SET ROLE in effect (the `role` setting, which a definer does not change), else the session user. Used
 * by the definers to answer "missing" and "hidden" rows alike.
 */
create or replace function private.row_readable(team pg_catalog.uuid, visibility pg_catalog.text)
returns pg_catalog.bool
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select visibility = 'public'
    or private.is_project_role(case when pg_catalog.current_setting('role') = 'none' then session_user::pg_catalog.text
                                    else pg_catalog.current_setting('role') end)
    or (pg_catalog.current_setting('role') = 'authenticated' and team = any ((select private.my_team_ids())::pg_catalog.uuid[]))
    or (pg_catalog.current_setting('role') = 'cryo_service' and team = (select private.service_team_id()))
$$;
comment on function private.row_readable(pg_catalog.uuid, pg_catalog.text) is
  'Whether the caller may read a row of this team/visibility (public, own teams, service team; project roles: all).';
revoke execute on function private.row_readable(pg_catalog.uuid, pg_catalog.text) from public, anon, authenticated, cryo_service;

/** --- Trigger functions --- */

create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
comment on function private.set_updated_at() is 'Trigger: stamps updated_at on every update.';
revoke execute on function private.set_updated_at() from public;

/**
 * private.inherit_access() trigger (arguments: parent table, foreign-key column)
 * Child rows carry their parent's team_id and visibility. The parent must exist AND be readable by the
 * caller: a missing parent and one the caller cannot read get the same error (42501 with the wording of a
 * row-level security refusal), so no error tells whether a hidden row exists. A team or visibility that
 * disagrees with the parent is rejected (23514) without naming either. Security definer so a project role
 * cascading changes reaches every child.
 */
create or replace function private.inherit_access()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  parent_id pg_catalog.uuid;
  parent_team pg_catalog.uuid;
  parent_visibility pg_catalog.text;
  fk_changed pg_catalog.bool;
begin
  begin
    parent_id := (pg_catalog.to_jsonb(new) operator(pg_catalog.->>) tg_argv[1])::pg_catalog.uuid;
  exception when others then
    parent_id := null;
  end;
  execute pg_catalog.format('select p.team_id, p.visibility from public.%I p where p.id = $1', tg_argv[0])
    into parent_team, parent_visibility using parent_id;
  fk_changed := tg_op = 'INSERT'
    or (pg_catalog.to_jsonb(new) operator(pg_catalog.->) tg_argv[1]) is distinct from (pg_catalog.to_jsonb(old) operator(pg_catalog.->) tg_argv[1]);
  if parent_visibility is null or (fk_changed and not private.row_readable(parent_team, parent_visibility)) then
    raise exception 'new row violates row-level security policy for table "%"', tg_table_name using errcode = '42501';
  end if;
  if new.team_id is not null and new.team_id is distinct from parent_team
     and (tg_op = 'INSERT' or new.team_id is distinct from old.team_id) then
    raise exception '%: team_id does not match the parent row', tg_table_name using errcode = '23514';
  end if;
  if new.visibility is not null and new.visibility is distinct from parent_visibility
     and (tg_op = 'INSERT' or new.visibility is distinct from old.visibility) then
    raise exception '%: visibility does not match the parent row', tg_table_name using errcode = '23514';
  end if;
  new.team_id := parent_team;
  new.visibility := parent_visibility;
  return new;
end
$$;
comment on function private.inherit_access() is
  'Trigger: copies team_id/visibility from a readable parent (args: parent table, fk column); missing and hidden parents fail alike.';
revoke execute on function private.inherit_access() from public;

/**
 * private.cascade_access() trigger (arguments: child table, foreign-key column, ...)
 * When a parent's team or visibility changes, its children follow.
 */
create or replace function private.cascade_access()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  i pg_catalog.int4 := 0;
begin
  while i < tg_nargs loop
    execute pg_catalog.format('update public.%I set team_id = $1, visibility = $2 where %I = $3', tg_argv[i], tg_argv[i + 1])
      using new.team_id, new.visibility, new.id;
    i := i + 2;
  end loop;
  return null;
end
$$;
comment on function private.cascade_access() is
  'Trigger: pushes a parent''s new team_id/visibility down to its children (args: child table, fk column pairs).';
revoke execute on function private.cascade_access() from public;

/**
 * private.check_component_molecule() trigger
 * A component may only use a molecule the caller can read (a missing and a hidden molecule fail alike,
 * as in inherit_access), and one that everyone who can read the mixture can read: public, or the mixture's
 * own team with the mixture team-only (23514 otherwise, naming no id).
 */
create or replace function private.check_component_molecule()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  mol_team pg_catalog.uuid;
  mol_visibility pg_catalog.text;
begin
  select m.team_id, m.visibility into mol_team, mol_visibility from public.molecules m where m.id = new.molecule_id;
  if mol_visibility is null
     or ((tg_op = 'INSERT' or new.molecule_id is distinct from old.molecule_id)
         and not private.row_readable(mol_team, mol_visibility)) then
    raise exception 'new row violates row-level security policy for table "%"', tg_table_name using errcode = '42501';
  end if;
  if mol_visibility = 'public' then
    return new;
  end if;
  if new.visibility = 'public' or mol_team is distinct from new.team_id then
    raise exception 'mixture_components: a private molecule can only be used in a team-only mixture of its own team'
      using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function private.check_component_molecule() is
  'Trigger: a component''s molecule must be readable, and public or of the mixture''s team (the mixture then team-only).';
revoke execute on function private.check_component_molecule() from public;

/** --- Catalogue readers (definers over the private materialized views) --- */

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
  from private.molecule_property_summary s
  where s.molecule_id = p_molecule_id
    and (s.visibility = 'public' or s.team_id = any ((select private.my_team_ids())::pg_catalog.uuid[]))
  order by s.property_code
$$;
comment on function private.read_molecule_property_summary(pg_catalog.uuid) is
  'Property summary of a molecule the caller may read (access rule re-applied over the materialized view).';

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
  from private.mixture_composition_summary s
  where s.mixture_id = p_mixture_id
    and (s.visibility = 'public' or s.team_id = any ((select private.my_team_ids())::pg_catalog.uuid[]))
$$;
comment on function private.read_mixture_composition_summary(pg_catalog.uuid) is
  'Composition summary of a mixture the caller may read (access rule re-applied over the materialized view).';

create or replace function private.read_catalogue_counts()
returns table (entity pg_catalog.text, row_count pg_catalog.int8)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select c.entity, c.row_count from private.catalogue_counts c order by c.entity
$$;
comment on function private.read_catalogue_counts() is 'Public catalogue counts (public rows only, so no per-caller filter).';

revoke execute on function private.read_molecule_property_summary(pg_catalog.uuid),
  private.read_mixture_composition_summary(pg_catalog.uuid), private.read_catalogue_counts() from public;
grant execute on function private.read_molecule_property_summary(pg_catalog.uuid),
  private.read_mixture_composition_summary(pg_catalog.uuid), private.read_catalogue_counts() to anon, authenticated;

/** --- Project-only functions (invokers run by postgres / pg_cron): same search_path rule --- */
alter function private.refresh_catalogue_view(text) set search_path = pg_catalog, pg_temp;
alter function private.validate_integrity() set search_path = pg_catalog, pg_temp;
alter function private.run_integrity_check() set search_path = pg_catalog, pg_temp;

/** --- The policy generator, on the one identity source --- */

/**
 * private.apply_access_policies(tbl regclass, resource text, kind text default 'team_data') returns void
 * Enables RLS on the table, sets its grants and (re)creates the standard nine policies from the row
 * model `kind`. Predicates a role must not get are `false`, so every table carries the same policy set.
 * Helpers are called as `(select private.fn())` (one InitPlan per statement), casts are qualified.
 *   kind 'team_data'  rows with team_id + visibility     kind 'reference'  public reference data
 *   kind 'team'       teams (created only by public.create_team(), never inserted by API roles)
 *   kind 'membership' team_members (rows made only by team creation and accepted invitations)
 *   kind 'profile'    profiles                           kind 'invitation' team_invitations
 *   select private.apply_access_policies('public.molecules', 'molecules');
 */
create or replace function private.apply_access_policies(tbl pg_catalog.regclass, resource pg_catalog.text,
  kind pg_catalog.text default 'team_data')
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  rel pg_catalog.text := tbl::pg_catalog.text;
  base pg_catalog.text := (select c.relname from pg_catalog.pg_class c where c.oid = tbl);
  r pg_catalog.text := pg_catalog.quote_literal(resource);
  member_read pg_catalog.text;   -- authenticated: select
  member_insert pg_catalog.text; -- authenticated: insert (check)
  member_write pg_catalog.text;  -- authenticated: update/delete (using and check)
  anon_read pg_catalog.text;
  svc_read pg_catalog.text;
  svc_write pg_catalog.text;
  pol pg_catalog.name;
begin
  case kind
  when 'team_data' then
    anon_read := $q$visibility = 'public'$q$;
    member_read := $q$visibility = 'public' or team_id = any ((select private.my_team_ids())::pg_catalog.uuid[])$q$;
    member_write := $q$team_id = any ((select private.my_editable_team_ids())::pg_catalog.uuid[])$q$;
    svc_read := pg_catalog.format($q$(select private.service_has_scope(%s, 'read')) and (visibility = 'public' or team_id = (select private.service_team_id()))$q$, r);
    svc_write := pg_catalog.format($q$(select private.service_has_scope(%s, 'write')) and team_id = (select private.service_team_id())$q$, r);
  when 'reference' then
    anon_read := 'true';
    member_read := 'true';
    member_write := 'false';
    svc_read := pg_catalog.format($q$(select private.service_has_scope(%s, 'read'))$q$, r);
    svc_write := 'false';
  when 'team' then
    anon_read := 'false';
    member_read := $q$id = any ((select private.my_team_ids())::pg_catalog.uuid[])$q$;
    member_insert := 'false';
    member_write := $q$id = any ((select private.my_owned_team_ids())::pg_catalog.uuid[])$q$;
    svc_read := pg_catalog.format($q$(select private.service_has_scope(%s, 'read')) and id = (select private.service_team_id())$q$, r);
    svc_write := 'false';
  when 'membership' then
    anon_read := 'false';
    member_read := $q$team_id = any ((select private.my_team_ids())::pg_catalog.uuid[])$q$;
    member_insert := 'false';
    member_write := $q$team_id = any ((select private.my_owned_team_ids())::pg_catalog.uuid[])$q$;
    svc_read := pg_catalog.format($q$(select private.service_has_scope(%s, 'read')) and team_id = (select private.service_team_id())$q$, r);
    svc_write := 'false';
  when 'profile' then
    anon_read := 'false';
    member_read := $q$id = (select private.uid()) or id = any ((select private.my_teammate_ids())::pg_catalog.uuid[])$q$;
    member_write := $q$id = (select private.uid())$q$;
    svc_read := 'false';
    svc_write := 'false';
  when 'invitation' then
    anon_read := 'false';
    -- Owners see their teams' invitations (history included); an invitee sees their own pending ones.
    member_read := $q$team_id = any ((select private.my_owned_team_ids())::pg_catalog.uuid[])
      or ((invitee_user_id = (select private.uid()) or invitee_email = (select private.email()))
          and accepted_at is null and revoked_at is null and expires_at > pg_catalog.now())$q$;
    member_write := $q$team_id = any ((select private.my_owned_team_ids())::pg_catalog.uuid[])$q$;
    svc_read := 'false';
    svc_write := 'false';
  else
    raise exception 'apply_access_policies: unknown kind %', kind using errcode = '22023';
  end case;
  member_insert := coalesce(member_insert, member_write);

  insert into private.access_registry (table_name, resource, kind) values (tbl, resource, kind)
  on conflict (table_name) do update set resource = excluded.resource, kind = excluded.kind;

  execute pg_catalog.format('alter table %s enable row level security', rel);
  -- Explicit grants; nothing inherited from default privileges.
  execute pg_catalog.format('revoke all on %s from public, anon, authenticated, cryo_service, service_role', rel);
  execute pg_catalog.format('grant select on %s to anon', rel);
  execute pg_catalog.format('grant select, insert, update, delete on %s to authenticated, cryo_service, service_role', rel);

  for pol in select p.polname from pg_catalog.pg_policy p where p.polrelid = tbl loop
    execute pg_catalog.format('drop policy %I on %s', pol, rel);
  end loop;

  execute pg_catalog.format('create policy %I on %s for select to anon using (%s)', base || '_anon_select', rel, anon_read);
  execute pg_catalog.format('create policy %I on %s for select to authenticated using (%s)', base || '_member_select', rel, member_read);
  execute pg_catalog.format('create policy %I on %s for insert to authenticated with check (%s)', base || '_member_insert', rel, member_insert);
  execute pg_catalog.format('create policy %I on %s for update to authenticated using (%s) with check (%s)', base || '_member_update', rel,
    member_write, member_write);
  execute pg_catalog.format('create policy %I on %s for delete to authenticated using (%s)', base || '_member_delete', rel, member_write);
  execute pg_catalog.format('create policy %I on %s for select to cryo_service using (%s)', base || '_service_select', rel, svc_read);
  execute pg_catalog.format('create policy %I on %s for insert to cryo_service with check (%s)', base || '_service_insert', rel, svc_write);
  execute pg_catalog.format('create policy %I on %s for update to cryo_service using (%s) with check (%s)', base || '_service_update', rel,
    svc_write, svc_write);
  execute pg_catalog.format('create policy %I on %s for delete to cryo_service using (%s)', base || '_service_delete', rel, svc_write);
end
$$;
comment on function private.apply_access_policies(pg_catalog.regclass, pg_catalog.text, pg_catalog.text) is
  'Writes the standard RLS policy set and grants of a public table from its row model; the only place policies are made.';
revoke execute on function private.apply_access_policies(pg_catalog.regclass, pg_catalog.text, pg_catalog.text)
  from public, anon, authenticated, cryo_service;

alter table private.access_registry drop constraint access_registry_kind_check;
alter table private.access_registry add constraint access_registry_kind_check
  check (kind in ('team_data', 'reference', 'team', 'membership', 'profile', 'invitation'));

/** --- Teams: created through one definer RPC; creators and membership set by the server --- */

/**
 * private.create_team(team_name text) returns uuid
 * Creates a team for the signed-in caller, who becomes its owner, and returns its id. The only way API
 * roles create teams (they cannot insert into public.teams), so `created_by` and the owner membership are
 * always the caller's. 42501 without a signed-in user.
 */
create or replace function private.create_team(team_name pg_catalog.text)
returns pg_catalog.uuid
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me pg_catalog.uuid := private.uid();
  team pg_catalog.uuid;
begin
  if me is null or pg_catalog.current_setting('role') is distinct from 'authenticated' then
    raise exception 'create_team: only a signed-in user can create a team' using errcode = '42501';
  end if;
  insert into public.teams (name, created_by) values (team_name, me) returning id into team;
  insert into public.team_members (team_id, user_id, role) values (team, me, 'owner');
  return team;
end
$$;
comment on function private.create_team(pg_catalog.text) is
  'Creates a team owned by the signed-in caller (server-set creator and owner membership); returns its id.';
revoke execute on function private.create_team(pg_catalog.text) from public, anon, authenticated, cryo_service;
grant execute on function private.create_team(pg_catalog.text) to authenticated;

/**
 * public.create_team(name text) returns uuid
 * RPC: create a team; the caller becomes its owner. Errors: 42501 (not signed in), 23505 (name taken),
 * 23514 (blank name).
 */
create or replace function public.create_team(name pg_catalog.text)
returns pg_catalog.uuid
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$ select private.create_team(name) $$;
comment on function public.create_team(pg_catalog.text) is 'Creates a team owned by the caller; returns its id.';
revoke execute on function public.create_team(pg_catalog.text) from public, anon, authenticated, cryo_service;
grant execute on function public.create_team(pg_catalog.text) to authenticated;

-- Team creation no longer goes through a client insert: the RPC makes the owner membership itself.
drop trigger teams_add_creator_as_owner on public.teams;
drop function private.add_creator_as_owner();

/**
 * private.set_created_by() trigger
 * `created_by` is the server's to set: for the API roles (any role that does not bypass RLS) it is the
 * caller (private.uid(), null for a service client's non-uuid sub), whatever the client sent, and it never
 * changes on update. The project's own roles (seed, imports, definer RPCs) may name a creator.
 */
create or replace function private.set_created_by()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'UPDATE' and new.created_by is not distinct from old.created_by then
    return new; -- the common case: nothing to guard
  end if;
  -- current_user, not the role setting: inside a definer RPC the owner inserts and names the creator.
  if not private.is_project_role(current_user::pg_catalog.text) then
    if tg_op = 'INSERT' then
      new.created_by := private.uid();
    else
      new.created_by := old.created_by;
    end if;
  elsif tg_op = 'INSERT' and new.created_by is null then
    new.created_by := private.uid();
  end if;
  return new;
end
$$;
comment on function private.set_created_by() is
  'Trigger: created_by is the calling user for API roles (client values ignored, immutable), null for service clients.';
revoke execute on function private.set_created_by() from public;

-- auth.uid() in a default raises on a non-uuid sub (service clients): the trigger sets the creator instead.
alter table public.teams alter column created_by drop default;
alter table public.molecules alter column created_by drop default;
alter table public.mixtures alter column created_by drop default;
create trigger teams_set_created_by before insert or update on public.teams
  for each row execute function private.set_created_by();
create trigger molecules_set_created_by before insert or update on public.molecules
  for each row execute function private.set_created_by();
create trigger mixtures_set_created_by before insert or update on public.mixtures
  for each row execute function private.set_created_by();

/** --- Re-apply the generator to every registered table --- */
select private.apply_access_policies(r.table_name, r.resource, r.kind) from private.access_registry r order by r.table_name::pg_catalog.text;

/** --- TEMPORARY: API roles cannot plant temp objects at all where the platform lets us say so --- */
/*
 * Revoking needs the database owner's rights: hosted projects make `postgres` the owner of the database
 * (supabase/postgres migrate.sh), and the local stack does the same. Where postgres is not the owner the
 * revoke is skipped with a notice (the definers are safe without it; this is depth).
 */
do $$
begin
  if (select d.datdba from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
     = (select r.oid from pg_catalog.pg_roles r where r.rolname = current_user) then
    execute pg_catalog.format('revoke temporary on database %I from public', pg_catalog.current_database());
    execute pg_catalog.format('grant temporary on database %I to postgres', pg_catalog.current_database());
  else
    raise notice 'definer_hardening: % does not own database %; TEMPORARY stays granted to PUBLIC', current_user, pg_catalog.current_database();
  end if;
end
$$;
