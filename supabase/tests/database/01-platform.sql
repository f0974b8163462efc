/**
 * The platform our migrations run on: roles, the auth helpers and the API login role behave as on hosted
 * Supabase. These also hold on a hosted project (`supabase test db`).
 */
begin;
select plan(23);

-- Roles and their attributes
select is((select rolsuper from pg_roles where rolname = 'postgres'), false, 'postgres is not a superuser (as on the platform)');
select is((select rolbypassrls from pg_roles where rolname = 'postgres'), true, 'postgres bypasses RLS (as on the platform)');
select is((select rolcanlogin from pg_roles where rolname = 'anon'), false, 'anon cannot log in');
select is((select rolcanlogin from pg_roles where rolname = 'authenticated'), false, 'authenticated cannot log in');
select is((select rolbypassrls from pg_roles where rolname = 'service_role'), true, 'service_role bypasses RLS');
select is((select rolbypassrls from pg_roles where rolname = 'authenticated'), false, 'authenticated is subject to RLS');
select ok(pg_has_role('authenticator', 'authenticated', 'member'), 'authenticator can become authenticated');

-- The edge functions' login role
select is((select rolsuper or rolbypassrls from pg_roles where rolname = 'cryo_api'), false, 'cryo_api is neither superuser nor BYPASSRLS');
select is((select rolinherit from pg_roles where rolname = 'cryo_api'), false, 'cryo_api inherits no privileges (NOINHERIT)');
select ok(pg_has_role('cryo_api', 'anon', 'member') and pg_has_role('cryo_api', 'authenticated', 'member'),
  'cryo_api may switch to anon and authenticated');
select ok(not pg_has_role('cryo_api', 'service_role', 'member'), 'cryo_api may not switch to the BYPASSRLS service_role');
select ok(not pg_has_role('cryo_api', 'postgres', 'member'), 'cryo_api may not switch to postgres');

-- auth helpers read the claims PostgREST sets
select tests.create_supabase_user('platform_user', 'platform.user@test.local');
select tests.authenticate_as('platform_user');
select is(auth.uid(), tests.get_supabase_uid('platform_user'), 'auth.uid() is the sub of the claims');
select is(auth.role(), 'authenticated', 'auth.role() is the role claim');
select is(auth.email(), 'platform.user@test.local', 'auth.email() is the email claim');
select is(auth.jwt() ->> 'aud', 'authenticated', 'auth.jwt() returns the whole claims object');
select is(current_user::text, 'authenticated', 'authenticate_as switches the role');
select tests.clear_authentication();
select is(auth.uid(), null, 'no claims, no uid');
select is(current_user::text, session_user::text, 'clear_authentication returns to the session user');

-- Extensions live where the platform puts them
select is((select extnamespace::regnamespace::text from pg_extension where extname = 'pg_stat_statements'), 'extensions',
  'pg_stat_statements is in the extensions schema');
select is((select extnamespace::regnamespace::text from pg_extension where extname = 'pgtap'), 'extensions',
  'pgtap is in the extensions schema, not public');
select is((select count(*)::int from pg_extension where extnamespace = 'public'::regnamespace), 0, 'no extension is installed in public');

-- The schema-wide RLS assertion itself
select tests.rls_enabled('public');

select * from finish();
rollback;
