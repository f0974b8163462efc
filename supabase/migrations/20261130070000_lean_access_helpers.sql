/**
 * CryoProtect: lean access helpers (issue 13, item 3: close the RLS gap)
 * ---------------------------------------------------------------------------------------------------------
 * A member's indexed lookup cost about twice the table owner's (+0.11 ms at p50 on 1M molecules,
 * `node scripts/bench/rls-gap.mjs`, docs/rls-performance.md). The index probe on team_members was not what
 * cost it: the membership helpers were `language sql` functions with a `set search_path` clause, which
 * Postgres never inlines and whose body it parses and plans again in EVERY statement that calls them (a SQL
 * function's plan lives only as long as the calling statement). The scoped service client's
 * service_has_scope() had the same shape and cost the service path as much.
 *
 * The helpers every policy calls (the four membership lookups, private.email() of the invitation policy
 * and service_has_scope()) are re-created here in plpgsql with the same signatures, rights and results: plpgsql keeps
 * each function's query plan for the life of the server connection (pooled connections live long), so a
 * statement now pays one call and one execution of an already planned index probe. Membership is still
 * read live in every statement: no cache, no claim, no staleness. A member removed from a team (or demoted)
 * loses the access in the very next statement, in the same transaction included.
 *
 * Policy texts do not change (they call the same functions as `(select private.fn())` InitPlans), so the
 * policies are not re-applied. Rules as everywhere in `private`: search_path = pg_catalog, pg_temp, every
 * name schema-qualified (plpgsql variable types included), explicit grants, a comment on each function.
 * Guarded by supabase/tests/database/12-access-helper-cost.sql (no policy helper is a SQL function) and
 * 29-threat-stale-or-forged-membership.sql (revocation and forged claims).
 */

/**
 * private.my_team_ids() returns uuid[]
 * Teams of the calling user (private.uid()); '{}' for anon, service clients and users without a team.
 * Security definer so policies can read membership without recursion through team_members' own policies.
 */
create or replace function private.my_team_ids()
returns pg_catalog.uuid[]
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me pg_catalog.uuid := private.uid();
  ids pg_catalog.uuid[];
begin
  if me is null then
    return '{}';
  end if;
  select pg_catalog.array_agg(m.team_id) into ids from public.team_members m where m.user_id = me;
  return coalesce(ids, '{}');
end
$$;
comment on function private.my_team_ids() is
  'Teams of the calling user (uuid[], live from team_members every statement); plpgsql so its plan is cached per connection; definer so policies can read membership without recursion.';

/**
 * private.my_editable_team_ids() returns uuid[]
 * Teams where the calling user is editor or owner; '{}' without a signed-in user.
 */
create or replace function private.my_editable_team_ids()
returns pg_catalog.uuid[]
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me pg_catalog.uuid := private.uid();
  ids pg_catalog.uuid[];
begin
  if me is null then
    return '{}';
  end if;
  select pg_catalog.array_agg(m.team_id) into ids
  from public.team_members m
  where m.user_id = me and m.role in ('owner', 'editor');
  return coalesce(ids, '{}');
end
$$;
comment on function private.my_editable_team_ids() is
  'Teams where the calling user is editor or owner (uuid[], live every statement; plpgsql, plan cached per connection).';

/**
 * private.my_owned_team_ids() returns uuid[]
 * Teams the calling user owns; '{}' without a signed-in user.
 */
create or replace function private.my_owned_team_ids()
returns pg_catalog.uuid[]
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me pg_catalog.uuid := private.uid();
  ids pg_catalog.uuid[];
begin
  if me is null then
    return '{}';
  end if;
  select pg_catalog.array_agg(m.team_id) into ids
  from public.team_members m
  where m.user_id = me and m.role = 'owner';
  return coalesce(ids, '{}');
end
$$;
comment on function private.my_owned_team_ids() is
  'Teams the calling user owns (uuid[], live every statement; plpgsql, plan cached per connection).';

/**
 * private.my_teammate_ids() returns uuid[]
 * Users sharing a team with the caller (the caller included when in a team); '{}' without a signed-in user.
 */
create or replace function private.my_teammate_ids()
returns pg_catalog.uuid[]
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me pg_catalog.uuid := private.uid();
  ids pg_catalog.uuid[];
begin
  if me is null then
    return '{}';
  end if;
  select pg_catalog.array_agg(distinct o.user_id) into ids
  from public.team_members m
  join public.team_members o on o.team_id = m.team_id
  where m.user_id = me;
  return coalesce(ids, '{}');
end
$$;
comment on function private.my_teammate_ids() is
  'Users sharing a team with the caller (uuid[], live every statement; plpgsql, plan cached per connection).';

/**
 * private.service_has_scope(resource text, action text) returns boolean
 * Whether the token's `scope` claim (space-separated) grants <resource>:<action>: read (by :read or
 * :write), write (by :write), import (by :import only, 20261130050000_toxicity_access.sql); any other
 * action is false. Not a definer: it reads only the request's claims.
 */
create or replace function private.service_has_scope(resource pg_catalog.text, action pg_catalog.text)
returns pg_catalog.bool
language plpgsql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
  granted pg_catalog.text[] := pg_catalog.string_to_array(
    nullif(pg_catalog.btrim(private.request_claims() operator(pg_catalog.->>) 'scope'), ''), ' ');
begin
  return coalesce(granted operator(pg_catalog.&&) case action
           when 'read' then array[resource operator(pg_catalog.||) ':read', resource operator(pg_catalog.||) ':write']
           when 'write' then array[resource operator(pg_catalog.||) ':write']
           when 'import' then array[resource operator(pg_catalog.||) ':import']
           else array[]::pg_catalog.text[]
         end,
    false);
end
$$;
comment on function private.service_has_scope(pg_catalog.text, pg_catalog.text) is
  'Whether the token scope claim grants <resource>:<action> (read: :read or :write; write: :write; import: :import); plpgsql, so no per-statement planning.';

/**
 * private.email() returns text
 * The signed-in caller's confirmed e-mail address (auth.users.email, lower-cased and trimmed), or null when
 * the caller is not a user, has no address or has not confirmed it (as 20261130040000_confirmed_invitee_email
 * made it; the token's email claim is never read). Security definer: API roles cannot read auth.users; it
 * reads only the caller's own row. Called by the invitation read policy, hence plpgsql like the others.
 */
create or replace function private.email()
returns pg_catalog.text
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  me pg_catalog.uuid := private.uid();
  address pg_catalog.text;
begin
  if me is null then
    return null;
  end if;
  select nullif(pg_catalog.lower(pg_catalog.btrim(u.email::pg_catalog.text)), '') into address
  from auth.users u
  where u.id = me and u.email_confirmed_at is not null;
  return address;
end
$$;
comment on function private.email() is
  'The caller''s confirmed e-mail address from auth.users (lower-case), or null; never the token''s email claim. plpgsql: plan cached per connection.';

revoke execute on function private.my_team_ids(), private.my_editable_team_ids(), private.my_owned_team_ids(),
  private.my_teammate_ids(), private.service_has_scope(pg_catalog.text, pg_catalog.text), private.email() from public;
grant execute on function private.my_team_ids(), private.my_editable_team_ids(), private.my_owned_team_ids(),
  private.my_teammate_ids(), private.service_has_scope(pg_catalog.text, pg_catalog.text), private.email()
  to anon, authenticated, cryo_service;
