/**
 * CryoProtect: the access model
 * ---------------------------------------------------------------------------------------------------------
 * One access model, written once and applied to every table of `public`:
 *   - read   = public rows, or rows of a team you belong to (anon: public rows only);
 *   - write  = editors and owners of the row's team; public reference rows (no team) are curated by the
 *              project itself (postgres / service_role), never through the API roles;
 *   - teams and their membership are managed by team owners;
 *   - scoped service clients act as the NOLOGIN role `cryo_service` (no BYPASSRLS) and get exactly what
 *     the `scope` claim of their token grants ("molecules:read mixtures:write", OAuth style), limited to
 *     their own team (`team_id` claim) for team rows.
 * The helpers live in the non-exposed schema `private`, are security definer with an empty search_path,
 * and are called from policies as `(select private.fn())`, so Postgres evaluates them once per statement
 * (an InitPlan), never per row. `private.apply_access_policies()` writes the same nine policies
 * (anon select; authenticated and cryo_service × select/insert/update/delete) on every table, so there is
 * exactly one permissive policy per role and action.
 */

/** --- Schema --- */
create schema if not exists private;
comment on schema private is
  'Helpers, materialized views and bookkeeping of CryoProtect. Never exposed through the Data API.';
revoke all on schema private from public, anon, authenticated;
-- Policies run with the caller's privileges, so the API roles need to reach the helpers (nothing else).
grant usage on schema private to anon, authenticated;

/** --- Roles --- */
do $$
begin
  if not exists (select from pg_roles where rolname = 'cryo_service') then
    create role cryo_service nologin noinherit nobypassrls;
  end if;
end
$$;
comment on role cryo_service is
  'Scoped service clients (edge functions acting for a service token). Under RLS; rights come from the token''s scope claim.';
-- The edge functions switch to it per transaction (`set local role cryo_service`), as they do for anon.
grant cryo_service to cryo_api;
-- The project owner acts as it in tests and tools, as it does for anon and authenticated.
grant cryo_service to postgres;
grant usage on schema private to cryo_service;
grant usage on schema public to cryo_service;

/** --- Shared trigger functions --- */

/**
 * private.set_updated_at() trigger
 * Keeps updated_at truthful whatever the client sends.
 */
create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function private.set_updated_at() is 'Trigger: stamps updated_at on every update.';
revoke execute on function private.set_updated_at() from public;

/** --- Teams --- */

/**
 * Teams: the unit of ownership. Team rows are visible to their members; created_by lets the creator see
 * the team in the same statement that creates it (before the owner membership exists).
 */
create table public.teams (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (btrim(name) <> ''),
  created_by uuid null default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now()
);
comment on table public.teams is 'Research teams; rows of team visibility belong to one team.';
create index teams_created_by_idx on public.teams (created_by);

/**
 * Team membership with a role: owners manage the team and its members, editors write the team's rows,
 * viewers only read them.
 */
create table public.team_members (
  team_id uuid not null references public.teams (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('owner', 'editor', 'viewer')),
  created_at timestamptz not null default now(),
  primary key (team_id, user_id)
);
comment on table public.team_members is 'Who belongs to which team, as owner, editor or viewer.';
-- The primary key leads with team_id; the helpers look members up by user.
create index team_members_user_id_idx on public.team_members (user_id, team_id, role);

/** A user's public face inside the project (one row per auth user). */
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text,
  created_at timestamptz not null default now()
);
comment on table public.profiles is 'Display data of a user; readable by the user and their teammates.';

/** --- Access helpers (security definer, once per statement) --- */

/**
 * private.my_team_ids() returns uuid[]
 * The teams the calling user belongs to, any role. Empty for anon and service clients.
 * Use in policies as `team_id = any((select private.my_team_ids()))`.
 */
create or replace function private.my_team_ids()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(m.team_id), '{}')
  from public.team_members m
  where m.user_id = (select auth.uid())
$$;
comment on function private.my_team_ids() is
  'Teams of the calling user (uuid[]); security definer so policies can read membership without recursion.';

/**
 * private.my_editable_team_ids() returns uuid[]
 * The teams where the calling user is editor or owner: where they may write rows.
 */
create or replace function private.my_editable_team_ids()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(m.team_id), '{}')
  from public.team_members m
  where m.user_id = (select auth.uid()) and m.role in ('owner', 'editor')
$$;
comment on function private.my_editable_team_ids() is 'Teams where the calling user is editor or owner (uuid[]).';

/**
 * private.my_owned_team_ids() returns uuid[]
 * The teams the calling user owns: where they manage the team and its members.
 */
create or replace function private.my_owned_team_ids()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(m.team_id), '{}')
  from public.team_members m
  where m.user_id = (select auth.uid()) and m.role = 'owner'
$$;
comment on function private.my_owned_team_ids() is 'Teams the calling user owns (uuid[]).';

/**
 * private.my_teammate_ids() returns uuid[]
 * Users who share at least one team with the caller (the caller included): whose profiles they may read.
 */
create or replace function private.my_teammate_ids()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(distinct o.user_id), '{}')
  from public.team_members m
  join public.team_members o on o.team_id = m.team_id
  where m.user_id = (select auth.uid())
$$;
comment on function private.my_teammate_ids() is 'Users sharing a team with the caller (uuid[]).';

/**
 * private.service_has_scope(resource text, action text) returns boolean
 * True when the token's `scope` claim (space-separated, e.g. "molecules:read mixtures:write") grants the
 * action on the resource; `write` implies `read`. Security definer only because cryo_service has no
 * usage on the platform's `auth` schema (whose grants the project owner cannot extend).
 */
create or replace function private.service_has_scope(resource text, action text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    string_to_array(nullif(btrim(auth.jwt() ->> 'scope'), ''), ' ')
      && case action
           when 'read' then array[resource || ':read', resource || ':write']
           when 'write' then array[resource || ':write']
           else array[]::text[]
         end,
    false)
$$;
comment on function private.service_has_scope(text, text) is
  'Whether the token scope claim grants <resource>:<action> (write implies read).';

/**
 * private.service_team_id() returns uuid
 * The service client's team (`team_id` claim), or null when absent or not a uuid (never an error: a bad
 * claim must mean "no team rows", not a 500).
 */
create or replace function private.service_team_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select case when (auth.jwt() ->> 'team_id') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then (auth.jwt() ->> 'team_id')::uuid end
$$;
comment on function private.service_team_id() is 'Team of the scoped service client (team_id claim), null if absent or malformed.';

revoke execute on function private.my_team_ids(), private.my_editable_team_ids(), private.my_owned_team_ids(),
  private.my_teammate_ids(), private.service_has_scope(text, text), private.service_team_id() from public;
grant execute on function private.my_team_ids(), private.my_editable_team_ids(), private.my_owned_team_ids(),
  private.my_teammate_ids() to anon, authenticated, cryo_service;
grant execute on function private.service_has_scope(text, text), private.service_team_id()
  to anon, authenticated, cryo_service;

/** --- The one policy generator --- */

/**
 * The table → resource mapping, kept in one place: which scope guards each table and which row model it
 * follows. Filled only by private.apply_access_policies(); the pgTAP suite checks every public table is here.
 *   kind 'team_data'  rows with team_id + visibility (molecules, mixtures and their children)
 *   kind 'reference'  public reference data everyone reads (property_types)
 *   kind 'team'       the teams table; kind 'membership' team_members; kind 'profile' profiles
 */
create table private.access_registry (
  table_name regclass primary key,
  resource text not null check (resource ~ '^[a-z_]+$'),
  kind text not null check (kind in ('team_data', 'reference', 'team', 'membership', 'profile'))
);
comment on table private.access_registry is 'Table → service-scope resource and row model; written by apply_access_policies().';
revoke all on private.access_registry from public, anon, authenticated, cryo_service;

/**
 * private.apply_access_policies(tbl regclass, resource text, kind text default 'team_data') returns void
 * Enables RLS on the table, sets its grants and (re)creates the standard nine policies from the row
 * model `kind`. Predicates a role must not get are `false`, so every table carries the same policy set.
 *   select private.apply_access_policies('public.molecules', 'molecules');
 */
create or replace function private.apply_access_policies(tbl regclass, resource text, kind text default 'team_data')
returns void
language plpgsql
set search_path = ''
as $$
declare
  rel text := tbl::text;
  base text := (select c.relname from pg_catalog.pg_class c where c.oid = tbl);
  r text := quote_literal(resource);
  member_read text;  -- authenticated: select
  member_write text; -- authenticated: insert/update/delete (using and check)
  anon_read text;
  svc_read text;
  svc_write text;
  p record;
begin
  case kind
  when 'team_data' then
    anon_read := $q$visibility = 'public'$q$;
    member_read := $q$visibility = 'public' or team_id = any ((select private.my_team_ids())::uuid[])$q$;
    member_write := $q$team_id = any ((select private.my_editable_team_ids())::uuid[])$q$;
    svc_read := format($q$(select private.service_has_scope(%s, 'read')) and (visibility = 'public' or team_id = (select private.service_team_id()))$q$, r);
    svc_write := format($q$(select private.service_has_scope(%s, 'write')) and team_id = (select private.service_team_id())$q$, r);
  when 'reference' then
    anon_read := 'true';
    member_read := 'true';
    member_write := 'false';
    svc_read := format($q$(select private.service_has_scope(%s, 'read'))$q$, r);
    svc_write := 'false';
  when 'team' then
    anon_read := 'false';
    member_read := $q$id = any ((select private.my_team_ids())::uuid[]) or created_by = (select auth.uid())$q$;
    member_write := $q$id = any ((select private.my_owned_team_ids())::uuid[])$q$;
    svc_read := format($q$(select private.service_has_scope(%s, 'read')) and id = (select private.service_team_id())$q$, r);
    svc_write := 'false';
  when 'membership' then
    anon_read := 'false';
    member_read := $q$team_id = any ((select private.my_team_ids())::uuid[])$q$;
    member_write := $q$team_id = any ((select private.my_owned_team_ids())::uuid[])$q$;
    svc_read := format($q$(select private.service_has_scope(%s, 'read')) and team_id = (select private.service_team_id())$q$, r);
    svc_write := 'false';
  when 'profile' then
    anon_read := 'false';
    member_read := $q$id = (select auth.uid()) or id = any ((select private.my_teammate_ids())::uuid[])$q$;
    member_write := $q$id = (select auth.uid())$q$;
    svc_read := 'false';
    svc_write := 'false';
  else
    raise exception 'apply_access_policies: unknown kind %', kind using errcode = '22023';
  end case;

  insert into private.access_registry (table_name, resource, kind) values (tbl, resource, kind)
  on conflict (table_name) do update set resource = excluded.resource, kind = excluded.kind;

  execute format('alter table %s enable row level security', rel);
  -- Explicit grants; nothing inherited from default privileges.
  execute format('revoke all on %s from public, anon, authenticated, cryo_service, service_role', rel);
  execute format('grant select on %s to anon', rel);
  execute format('grant select, insert, update, delete on %s to authenticated, cryo_service, service_role', rel);

  for p in select pol.polname from pg_catalog.pg_policy pol where pol.polrelid = tbl loop
    execute format('drop policy %I on %s', p.polname, rel);
  end loop;

  execute format('create policy %I on %s for select to anon using (%s)', base || '_anon_select', rel, anon_read);
  execute format('create policy %I on %s for select to authenticated using (%s)', base || '_member_select', rel, member_read);
  -- Creating a team only needs a signed-in user (a trigger makes them its owner).
  execute format('create policy %I on %s for insert to authenticated with check (%s)', base || '_member_insert', rel,
    case when kind = 'team' then '(select auth.uid()) is not null' else member_write end);
  execute format('create policy %I on %s for update to authenticated using (%s) with check (%s)', base || '_member_update', rel,
    member_write, member_write);
  execute format('create policy %I on %s for delete to authenticated using (%s)', base || '_member_delete', rel, member_write);
  execute format('create policy %I on %s for select to cryo_service using (%s)', base || '_service_select', rel, svc_read);
  execute format('create policy %I on %s for insert to cryo_service with check (%s)', base || '_service_insert', rel, svc_write);
  execute format('create policy %I on %s for update to cryo_service using (%s) with check (%s)', base || '_service_update', rel,
    svc_write, svc_write);
  execute format('create policy %I on %s for delete to cryo_service using (%s)', base || '_service_delete', rel, svc_write);
end
$$;
comment on function private.apply_access_policies(regclass, text, text) is
  'Writes the standard RLS policy set and grants of a public table from its row model; the only place policies are made.';
revoke execute on function private.apply_access_policies(regclass, text, text) from public, anon, authenticated, cryo_service;

/**
 * private.add_creator_as_owner() trigger
 * Whoever creates a team through the API becomes its owner; rows made by the project (no user) get none.
 */
create or replace function private.add_creator_as_owner()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (select auth.uid()) is not null then
    insert into public.team_members (team_id, user_id, role) values (new.id, (select auth.uid()), 'owner')
    on conflict do nothing;
  end if;
  return new;
end
$$;
comment on function private.add_creator_as_owner() is 'Trigger: makes the API user who created a team its owner.';
revoke execute on function private.add_creator_as_owner() from public;

create trigger teams_add_creator_as_owner after insert on public.teams
  for each row execute function private.add_creator_as_owner();

/** --- Policies --- */
select private.apply_access_policies('public.teams', 'teams', 'team');
select private.apply_access_policies('public.team_members', 'teams', 'membership');
select private.apply_access_policies('public.profiles', 'profiles', 'profile');
