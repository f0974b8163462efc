/**
 * The access model: one policy generator for every table (nine standard policies, helpers called once
 * per statement, indexes under the policy columns), helpers safe to call from policies, the scoped
 * service role and its scope claims, and what the matrix (02-access-matrix) does not say about teams,
 * memberships and profiles.
 */
begin;
select plan(70);

/** --- One generator, every table --- */
-- The generator covers every table of every exposed schema (the Data API's pgrst.db_schemas)
create temporary view exposed_tables as
select c.oid, format('%s.%s', n.nspname, c.relname) as name, c.relname, c.relrowsecurity
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname = any (string_to_array(replace(coalesce(current_setting('pgrst.db_schemas', true), ''), ' ', ''), ','));
select ok('public' = any (string_to_array(replace(coalesce(current_setting('pgrst.db_schemas', true), ''), ' ', ''), ','))
  and (select count(*) from exposed_tables) >= 9, 'the exposed schemas are known and hold the data model''s tables');
select is((select coalesce(array_agg(name order by name), '{}') from exposed_tables where not relrowsecurity),
  '{}'::text[], 'every table in an exposed schema has row-level security enabled');
select is(
  (select coalesce(array_agg(name order by name), '{}') from exposed_tables
   where oid not in (select table_name from private.access_registry)),
  '{}'::text[], 'every exposed table is registered with a resource and row model in private.access_registry');
select is(
  (select coalesce(array_agg(name order by name), '{}') from exposed_tables t
   where (select count(*) from pg_policy p where p.polrelid = t.oid) <> 9),
  '{}'::text[], 'every exposed table has exactly the nine standard policies');
select is(
  (select coalesce(array_agg(format('%s: %s', c.relname, x.name) order by c.relname, x.name), '{}')
   from exposed_tables c
   cross join (values ('anon_select', 'r', 'anon'), ('member_select', 'r', 'authenticated'),
                      ('member_insert', 'a', 'authenticated'), ('member_update', 'w', 'authenticated'),
                      ('member_delete', 'd', 'authenticated'), ('service_select', 'r', 'cryo_service'),
                      ('service_insert', 'a', 'cryo_service'), ('service_update', 'w', 'cryo_service'),
                      ('service_delete', 'd', 'cryo_service')) x(name, cmd, role)
   where not exists (select from pg_policy p where p.polrelid = c.oid and p.polname = c.relname || '_' || x.name
                       and p.polcmd = x.cmd::"char" and p.polpermissive and p.polroles = array[x.role::regrole::oid])),
  '{}'::text[], 'each standard policy exists with its command, a single named role, and is permissive');
select is(
  (select count(*)::int from pg_policy p join pg_class c on c.oid = p.polrelid
   where c.relnamespace = 'public'::regnamespace and 0::oid = any (p.polroles)),
  0, 'no policy applies to the PUBLIC pseudo-role');
-- Every call of an auth or private helper in a policy must be wrapped as (select fn()): counted, not guessed.
select is(
  (select coalesce(array_agg(format('%s.%s', c.relname, p.polname) order by c.relname, p.polname), '{}')
   from pg_policy p join pg_class c on c.oid = p.polrelid
   cross join lateral (select coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as expr) e
   where c.relnamespace = 'public'::regnamespace
     and regexp_count(e.expr, '(auth|private)\.\w+\(') <> regexp_count(e.expr, 'SELECT (auth|private)\.\w+\(')),
  '{}'::text[], 'policies call auth and private helpers only wrapped as (select fn()), evaluated once per statement');
select ok(
  (select count(*) > 0 from pg_policy p where regexp_count(pg_get_expr(p.polqual, p.polrelid), 'SELECT private\.my_team_ids\(') > 0),
  'the wrapped-call check above does see the helpers in the policies');
select is(
  (select coalesce(array_agg(c.relname::text order by c.relname), '{}') from pg_class c
   where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
     and (has_table_privilege('anon', c.oid, 'insert') or has_table_privilege('anon', c.oid, 'update')
          or has_table_privilege('anon', c.oid, 'delete') or has_table_privilege('anon', c.oid, 'truncate')
          or has_table_privilege('authenticated', c.oid, 'truncate') or has_table_privilege('cryo_service', c.oid, 'truncate'))),
  '{}'::text[], 'anon may only select, and no API role may truncate');

-- Indexes under the policies and the foreign keys
select is(
  (select coalesce(array_agg(format('%s(%s)', c.conrelid::regclass, c.conkey) order by 1), '{}')
   from pg_constraint c
   where c.contype = 'f' and c.connamespace = 'public'::regnamespace
     and not exists (select from pg_index i where i.indrelid = c.conrelid
                       and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)),
  '{}'::text[], 'every foreign key in public is covered by an index leading with its columns');
select is(
  (select coalesce(array_agg(format('%s.%s', r.table_name, col) order by 1), '{}')
   from private.access_registry r cross join unnest(array['team_id', 'visibility']) col
   where r.kind = 'team_data'
     and not exists (select from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                     where i.indrelid = r.table_name and a.attname = col)),
  '{}'::text[], 'every team-data table has an index leading with team_id and one with visibility (the policy columns)');

/** --- Helpers safe to call from policies --- */
select is(
  (select coalesce(array_agg(p.proname::text order by p.proname), '{}') from pg_proc p
   where p.pronamespace = 'private'::regnamespace and p.prosecdef
     and not (coalesce(p.proconfig, '{}') @> array['search_path=pg_catalog, pg_temp'])),
  '{}'::text[], 'every security-definer function in private pins search_path to pg_catalog, pg_temp (pg_temp last)');
select is(
  (select coalesce(array_agg(p.proname::text order by p.proname), '{}') from pg_proc p
   where p.pronamespace = 'private'::regnamespace and has_function_privilege('public', p.oid, 'execute')),
  '{}'::text[], 'no private function is executable by PUBLIC');
select is(
  (select coalesce(array_agg(p.proname::text order by p.proname), '{}') from pg_proc p
   where p.pronamespace = 'private'::regnamespace and obj_description(p.oid, 'pg_proc') is null),
  '{}'::text[], 'every private function has a comment');
select is(
  (select array_agg(p.provolatile::text order by p.proname) from pg_proc p
   where p.pronamespace = 'private'::regnamespace and p.proname in ('my_team_ids', 'my_editable_team_ids', 'my_owned_team_ids', 'service_has_scope', 'service_team_id')),
  array['s', 's', 's', 's', 's'], 'the access helpers are stable (cacheable within a statement)');
select ok(not has_function_privilege('authenticated', 'private.apply_access_policies(regclass, text, text)', 'execute'),
  'API users cannot run the policy generator');
select ok(not has_schema_privilege('anon', 'private', 'create') and not has_schema_privilege('authenticated', 'private', 'create'),
  'API roles cannot create objects in private');
select ok(not has_table_privilege('authenticated', 'private.access_registry', 'select'), 'API users cannot read the access registry');

/** --- The scoped service role --- */
select is((select rolcanlogin or rolbypassrls or rolsuper from pg_roles where rolname = 'cryo_service'), false,
  'cryo_service cannot log in and does not bypass RLS');
select ok(pg_has_role('cryo_api', 'cryo_service', 'member'), 'the edge functions'' login role may switch to cryo_service');
select ok(not pg_has_role('authenticator', 'cryo_service', 'member'), 'PostgREST cannot switch to cryo_service from a user token');

/** --- Teams and memberships, beyond the matrix (02-access-matrix) --- */
select tests.access_fixture();

-- service_has_scope parses OAuth-style scope strings
select is(tests.scope_check('{"scope": "molecules:read mixtures:write"}', 'private.service_has_scope(''molecules'', ''read'')'), 'true', 'a read scope grants read');
select is(tests.scope_check('{"scope": "molecules:read mixtures:write"}', 'private.service_has_scope(''molecules'', ''write'')'), 'false', 'a read scope does not grant write');
select is(tests.scope_check('{"scope": "molecules:read mixtures:write"}', 'private.service_has_scope(''mixtures'', ''read'')'), 'true', 'a write scope implies read');
select is(tests.scope_check('{"scope": "molecules:read mixtures:write"}', 'private.service_has_scope(''properties'', ''read'')'), 'false', 'a resource absent from the scope is not granted');
select is(tests.scope_check('{"scope": "molecules:read"}', 'private.service_team_id()'), null::jsonb, 'no team_id claim means no team');
select is(tests.scope_check('{"scope": "molecules:readx"}', 'private.service_has_scope(''molecules'', ''read'')'), 'false', 'scopes match whole words only');
select is(tests.scope_check('{"team_id": "not-a-uuid"}', 'private.service_team_id()'), null::jsonb, 'a malformed team_id claim means no team, not an error');

-- as anon: teams and memberships are not public
select tests.act_as('anon', 'teams');
select is_empty($$select 1 from public.teams$$, 'anon sees no team');
select is_empty($$select 1 from public.team_members$$, 'anon sees no membership');
select throws_ok($$insert into public.teams (name) values ('anon team')$$, '42501', null, 'anon cannot create a team');
select tests.clear_authentication();

-- as a signed-in user in no team
select tests.act_as('outsider', 'teams');
select is_empty($$select 1 from public.teams where id in (tests.fid('teams', 'A'), tests.fid('teams', 'B'))$$, 'a non-member sees neither team');
select is_empty($$select 1 from public.team_members$$, 'a non-member sees no membership');
select throws_ok(format($$insert into public.team_members (team_id, user_id, role) values (%L, %L, 'owner')$$,
  tests.fid('teams', 'A'), tests.get_supabase_uid('acc_outsider')), '42501', null, 'a non-member cannot add themself to a team');
select throws_ok($$insert into public.teams (name) values ('Outsider lab')$$, '42501', null,
  'a signed-in user cannot insert a team directly');
select isnt(public.create_team('Outsider lab'), null, 'a signed-in user creates a team through public.create_team()');
select isnt_empty($$select 1 from public.teams where name = 'Outsider lab'$$, 'the new team is visible to its creator at once');
select is((select role from public.team_members where user_id = tests.get_supabase_uid('acc_outsider')), 'owner',
  'the creator of a team becomes its owner');
select is((select created_by from public.teams where name = 'Outsider lab'), tests.get_supabase_uid('acc_outsider'),
  'the server records the caller as the team''s creator');
select tests.clear_authentication();

-- as a viewer of Alpha
select tests.act_as('viewer_a', 'teams');
select results_eq($$select id from public.teams$$, array[tests.fid('teams', 'A')], 'a viewer sees their own team only');
select is((select count(*)::int from public.team_members), 3, 'a viewer sees the members of their team, not of others');
select is_empty($$update public.teams set name = 'renamed' where id = tests.fid('teams', 'A') returning id$$, 'a viewer cannot rename the team');
select is_empty($$delete from public.team_members where user_id = tests.get_supabase_uid('acc_viewer_a') returning user_id$$,
  'a viewer cannot change membership, not even their own');
select tests.clear_authentication();

-- as an editor of Alpha
select tests.act_as('editor_a', 'teams');
select throws_ok(format($$insert into public.team_members (team_id, user_id, role) values (%L, %L, 'viewer')$$,
  tests.fid('teams', 'A'), tests.get_supabase_uid('acc_outsider')), '42501', null, 'an editor cannot add members');
select is_empty($$update public.team_members set role = 'owner' where user_id = tests.get_supabase_uid('acc_editor_a') returning user_id$$,
  'an editor cannot promote themself');
select is_empty($$delete from public.teams where id = tests.fid('teams', 'A') returning id$$, 'an editor cannot delete the team');
select tests.clear_authentication();

-- as an editor of Beta
select tests.act_as('editor_b', 'teams');
select results_eq($$select id from public.teams where id in (tests.fid('teams', 'A'), tests.fid('teams', 'B'))$$,
  array[tests.fid('teams', 'B')], 'a member of Beta does not see Alpha');
select is_empty($$select 1 from public.team_members where team_id = tests.fid('teams', 'A')$$, 'a member of Beta does not see Alpha''s members');
select is_empty($$update public.team_members set role = 'viewer' where team_id = tests.fid('teams', 'A') returning user_id$$,
  'a member of Beta cannot change Alpha''s membership');
select tests.clear_authentication();

-- as the owner of Alpha
select tests.act_as('owner_a', 'teams');
select throws_ok(format($$insert into public.team_members (team_id, user_id, role) values (%L, %L, 'viewer')$$,
  tests.fid('teams', 'A'), tests.get_supabase_uid('acc_outsider')), '42501', null,
  'an owner cannot put a user into the team (only the user''s accepted invitation does)');
select throws_ok(format($$update public.team_members set user_id = %L where user_id = %L and team_id = %L$$,
  tests.get_supabase_uid('acc_outsider'), tests.get_supabase_uid('acc_viewer_a'), tests.fid('teams', 'A')), '42501', null,
  'an owner cannot re-point a membership at another user');
select isnt_empty($$update public.team_members set role = 'editor' where user_id = tests.get_supabase_uid('acc_viewer_a') returning user_id$$,
  'an owner changes a member''s role');
select isnt_empty($$delete from public.team_members where user_id = tests.get_supabase_uid('acc_editor_a') and team_id = tests.fid('teams', 'A') returning user_id$$,
  'an owner removes a member');
select throws_ok(format($$insert into public.team_members (team_id, user_id, role) values (%L, %L, 'viewer')$$,
  tests.fid('teams', 'B'), tests.get_supabase_uid('acc_outsider')), '42501', null, 'an owner of Alpha cannot add members to Beta');
select isnt_empty($$update public.teams set name = 'Fixture Alpha (renamed)' where id = tests.fid('teams', 'A') returning id$$, 'an owner renames the team');
select is_empty($$update public.teams set name = 'hijacked' where id = tests.fid('teams', 'B') returning id$$, 'an owner of Alpha cannot rename Beta');
select tests.clear_authentication();

-- as a service client
select is(tests.value_as('svc_read_a', 'teams', 'select id from public.teams'), jsonb_build_array(jsonb_build_object('id', tests.fid('teams', 'A'))),
  'a service client with teams:read sees its own team only');
select is(tests.matrix_case_sql('svc_write_a', 'teams', $$insert into public.teams (name) values ('service team')$$), 'denied',
  'a service client cannot create teams, even with teams:write');
select is(tests.value_as('svc_none', 'teams', 'select 1 from public.teams'), null, 'a service client without teams scope sees no team');
select is(tests.value_as('svc_none', 'teams', 'select 1 from public.team_members'), null, 'a service client without teams scope sees no membership');

/** --- Profiles: your own, and your teammates' --- */
insert into public.profiles (id, display_name) values (tests.get_supabase_uid('acc_owner_a'), 'Owner A'), (tests.get_supabase_uid('acc_editor_b'), 'Editor B');
-- as a viewer of Alpha
select tests.act_as('viewer_a', 'profiles');
select results_eq($$select display_name from public.profiles$$, array['Owner A'], 'a member sees teammates'' profiles and no one else''s');
select lives_ok(format($$insert into public.profiles (id, display_name) values (%L, 'Viewer A')$$, tests.get_supabase_uid('acc_viewer_a')),
  'a user creates their own profile');
select throws_ok(format($$insert into public.profiles (id, display_name) values (%L, 'forged')$$, tests.get_supabase_uid('acc_outsider')),
  '42501', null, 'a user cannot create someone else''s profile');
select is_empty($$update public.profiles set display_name = 'defaced' where id <> (select auth.uid()) returning id$$,
  'a user cannot edit a teammate''s profile');
select tests.clear_authentication();
-- as anon
select tests.act_as('anon', 'profiles');
select is_empty($$select 1 from public.profiles$$, 'anon sees no profile');
select tests.clear_authentication();
select is(tests.matrix_case_sql('anon', 'profiles', format($$insert into public.profiles (id) values (%L)$$, tests.get_supabase_uid('acc_outsider'))),
  'denied', 'anon cannot create profiles');
-- as the owner of Alpha
select is(tests.matrix_case_sql('owner_a', 'profiles', format($$delete from public.profiles where id = %L$$, tests.get_supabase_uid('acc_editor_b'))),
  'filtered', 'a user cannot delete someone else''s profile');
select is(tests.matrix_case_sql('owner_a', 'profiles', format($$delete from public.profiles where id = %L$$, tests.get_supabase_uid('acc_owner_a'))),
  'allowed', 'a user can delete their own profile');
-- as a service client
select is(tests.value_as('svc_write_a', 'profiles', 'select 1 from public.profiles'), null, 'a service client sees no profile, whatever its scope');
select is(tests.matrix_case_sql('svc_write_a', 'profiles', format($$update public.profiles set display_name = 'x' where id = %L$$, tests.get_supabase_uid('acc_owner_a'))),
  'denied', 'a service client cannot edit profiles (it holds no update privilege on them)');

select * from finish();
rollback;
