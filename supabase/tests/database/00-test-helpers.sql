/**
 * Test helpers (schema `tests`), installed by the first test file and kept for the ones after it.
 * They act on the database exactly as PostgREST does for a request: `set local role <role>` plus the
 * JWT claims in `request.jwt.claims`, both transaction-local.
 */
create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

/**
 * tests.create_supabase_user(identifier text, email text default null) returns uuid
 * Creates a row in auth.users the way Supabase Auth would for a confirmed email user. `identifier` is the
 * name tests use to refer to the user; the email defaults to `<identifier>@test.local`.
 *   select tests.create_supabase_user('alice');
 */
create or replace function tests.create_supabase_user(identifier text, email text default null)
returns uuid
language plpgsql
set search_path = ''
as $$
declare
  user_id uuid := extensions.gen_random_uuid();
begin
  insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
  values (user_id, 'authenticated', 'authenticated', coalesce(email, identifier || '@test.local'), now(),
          jsonb_build_object('provider', 'email', 'providers', array['email']),
          jsonb_build_object('test_identifier', identifier));
  return user_id;
end
$$;

/**
 * tests.get_supabase_uid(identifier text) returns uuid
 * The id of a user made by tests.create_supabase_user; raises if there is none. Security definer so it
 * also works while acting as anon or authenticated (which cannot read auth.users).
 */
create or replace function tests.get_supabase_uid(identifier text)
returns uuid
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  user_id pg_catalog.uuid;
begin
  select u.id into user_id from auth.users u where u.raw_user_meta_data ->> 'test_identifier' = identifier;
  if user_id is null then
    raise exception 'tests: no test user %', identifier;
  end if;
  return user_id;
end
$$;

/**
 * tests.authenticate_as(identifier text) returns void
 * Acts as the test user for the rest of the transaction: role `authenticated` and claims shaped like a
 * Supabase Auth access token.
 *   select tests.authenticate_as('alice');
 */
create or replace function tests.authenticate_as(identifier text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  u auth.users%rowtype;
begin
  select * into u from auth.users where id = tests.get_supabase_uid(identifier);
  perform set_config('request.jwt.claims', jsonb_build_object(
    'sub', u.id, 'role', 'authenticated', 'aud', 'authenticated', 'email', u.email,
    'aal', 'aal1', 'is_anonymous', false, 'session_id', extensions.gen_random_uuid(),
    'app_metadata', u.raw_app_meta_data, 'user_metadata', '{}'::jsonb,
    'iat', extract(epoch from now())::bigint, 'exp', extract(epoch from now())::bigint + 3600)::text, true);
  execute 'set local role authenticated';
end
$$;

/**
 * tests.authenticate_as_role(role_name text, claims jsonb default '{}') returns void
 * Acts as an API role without a user: `anon`, `service_role`, or a custom role such as the scoped service
 * role, with the given extra claims (for example `{"scope": "molecules:read"}`).
 *   select tests.authenticate_as_role('anon');
 */
create or replace function tests.authenticate_as_role(role_name text, claims jsonb default '{}'::jsonb)
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', (jsonb_build_object('role', role_name) || claims)::text, true);
  execute format('set local role %I', role_name);
end
$$;

/**
 * tests.clear_authentication() returns void
 * Back to the session user (the test runner) with no claims.
 */
create or replace function tests.clear_authentication()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('request.jwt.claims', '', true);
  execute 'reset role';
end
$$;

/**
 * tests.rls_enabled(schema_name text) returns text (a pgTAP result)
 * Passes when every ordinary or partitioned table of the schema has row-level security enabled; the
 * diagnostics name the tables that do not.
 *   select tests.rls_enabled('public');
 */
-- pgTAP's own functions call their internals unqualified, so this one runs with extensions on its path.
create or replace function tests.rls_enabled(schema_name text)
returns text
language plpgsql
stable
set search_path = extensions
as $$
declare
  missing text[];
begin
  select coalesce(array_agg(c.relname::text order by c.relname), '{}') into missing
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname = schema_name and c.relkind in ('r', 'p') and not c.relrowsecurity;
  return extensions.ok(cardinality(missing) = 0, format('every table in schema %s has RLS enabled', schema_name))
    || case when cardinality(missing) > 0
       then E'\n' || extensions.diag('tables without RLS: ' || array_to_string(missing, ', ')) else '' end;
end
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

begin;
select plan(4);
select has_function('tests', 'authenticate_as', array['text'], 'tests.authenticate_as(identifier) exists');
select has_function('tests', 'authenticate_as_role', array['text', 'jsonb'], 'tests.authenticate_as_role(role, claims) exists');
select has_function('tests', 'clear_authentication', array[]::text[], 'tests.clear_authentication() exists');
select has_function('tests', 'rls_enabled', array['text'], 'tests.rls_enabled(schema) exists');
select * from finish();
rollback;
