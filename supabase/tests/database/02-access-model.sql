/**
 * The access model: one policy generator for every table, helpers that are safe to call from policies,
 * the scoped service role, and the teams / membership / profiles rules.
 *
 * Also installs (outside the test transaction, like 00-test-helpers) the matrix helpers the domain suites
 * use: a fixture with two teams and one row of each visibility per table, actors, and tests.attempt().
 */

/**
 * tests.fid(tbl text, tag text) returns uuid
 * The deterministic id of fixture row `tag` ('P' public, 'A' team Alpha, 'B' team Beta) of a table.
 */
create or replace function tests.fid(tbl text, tag text)
returns uuid
language sql
immutable
set search_path = ''
as $$ select md5('fixture:' || tbl || ':' || tag)::uuid $$;

/**
 * tests.access_fixture() returns void
 * As the project owner: users (acc_owner_a, acc_editor_a, acc_viewer_a in Alpha; acc_owner_b and
 * acc_editor_b in Beta; acc_outsider in none), teams A and B, a pending invitation of each team for the
 * outsider ('A' by user id, 'B' by e-mail), and for each access-controlled table a public row 'P' and a
 * private row of each team ('A', 'B'). Children omit team_id/visibility: the trigger fills them in.
 */
create or replace function tests.access_fixture()
returns void
language plpgsql
set search_path = ''
as $$
declare
  t text;
  f uuid;
begin
  perform tests.create_supabase_user(u) from unnest(array['acc_owner_a', 'acc_editor_a', 'acc_viewer_a', 'acc_owner_b', 'acc_editor_b', 'acc_outsider']) u;
  insert into public.teams (id, name) values (tests.fid('teams', 'A'), 'Fixture Alpha'), (tests.fid('teams', 'B'), 'Fixture Beta');
  insert into public.team_members (team_id, user_id, role) values
    (tests.fid('teams', 'A'), tests.get_supabase_uid('acc_owner_a'), 'owner'),
    (tests.fid('teams', 'A'), tests.get_supabase_uid('acc_editor_a'), 'editor'),
    (tests.fid('teams', 'A'), tests.get_supabase_uid('acc_viewer_a'), 'viewer'),
    (tests.fid('teams', 'B'), tests.get_supabase_uid('acc_owner_b'), 'owner'),
    (tests.fid('teams', 'B'), tests.get_supabase_uid('acc_editor_b'), 'editor');
  -- Pending invitations of both teams for the outsider: Alpha's by user id, Beta's by e-mail.
  insert into public.team_invitations (id, team_id, invitee_user_id, invitee_email, role) values
    (tests.fid('team_invitations', 'A'), tests.fid('teams', 'A'), tests.get_supabase_uid('acc_outsider'), null, 'viewer'),
    (tests.fid('team_invitations', 'B'), tests.fid('teams', 'B'), null, 'acc_outsider@test.local', 'viewer');
  insert into public.property_types (id, code, name, canonical_unit) values (tests.fid('property_types', 'P'), 'fixture_prop', 'Fixture property', 'mM');
  foreach t in array array['P', 'A', 'B'] loop
    f := case t when 'P' then null else tests.fid('teams', t) end;
    insert into public.molecules (id, name, smiles, inchikey, source, team_id, visibility)
    values (tests.fid('molecules', t), 'fixture molecule ' || t, 'CO',
            'FIXTUREMOLECUL-' || repeat(t, 10) || '-N', 'fixture', f, case t when 'P' then 'public' else 'team' end);
    insert into public.molecule_identifiers (id, molecule_id, kind, value, source)
    values (tests.fid('molecule_identifiers', t), tests.fid('molecules', t), 'dtxsid', 'DTXSID-fixture-' || t, 'fixture');
    insert into public.mixtures (id, name, source, team_id, visibility)
    values (tests.fid('mixtures', t), 'fixture mixture ' || t, 'fixture', f, case t when 'P' then 'public' else 'team' end);
    -- Components use the public molecule so that deleting a team molecule is not blocked by them.
    insert into public.mixture_components (id, mixture_id, molecule_id, concentration, unit, role)
    values (tests.fid('mixture_components', t), tests.fid('mixtures', t), tests.fid('molecules', 'P'), 1.5, 'M', 'penetrating');
    insert into public.molecular_properties (id, molecule_id, property_type_id, numeric_value, unit, source)
    values (tests.fid('molecular_properties', t), tests.fid('molecules', t), tests.fid('property_types', 'P'), 42, 'mM', 'fixture');
  end loop;
end
$$;

/**
 * tests.act_as(actor text, resource text) returns void
 * Switches to one of the matrix actors for the rest of the transaction (or until clear_authentication):
 * anon; the fixture users; cryo_service with the resource's write or read scope for team A (svc_write_a,
 * svc_read_a), with the write scope for team B (svc_write_b), or with a scope for another resource only
 * (svc_none).
 */
create or replace function tests.act_as(actor text, resource text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  case actor
  when 'anon' then perform tests.authenticate_as_role('anon');
  when 'svc_write_a' then perform tests.authenticate_as_role('cryo_service',
    jsonb_build_object('scope', 'unrelated:read ' || resource || ':write', 'team_id', tests.fid('teams', 'A')));
  when 'svc_read_a' then perform tests.authenticate_as_role('cryo_service',
    jsonb_build_object('scope', resource || ':read', 'team_id', tests.fid('teams', 'A')));
  when 'svc_write_b' then perform tests.authenticate_as_role('cryo_service',
    jsonb_build_object('scope', resource || ':write', 'team_id', tests.fid('teams', 'B')));
  when 'svc_none' then perform tests.authenticate_as_role('cryo_service',
    jsonb_build_object('scope', 'unrelated:write', 'team_id', tests.fid('teams', 'A')));
  else perform tests.authenticate_as('acc_' || actor);
  end case;
end
$$;

/**
 * tests.attempt(sql text) returns text
 * Runs one statement as the current role and undoes it: 'ok' when it affected or returned at least one
 * row, 'filtered' when none, otherwise the SQLSTATE it raised (e.g. '42501').
 */
create or replace function tests.attempt(sql text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  n bigint;
begin
  begin
    execute sql;
    get diagnostics n = row_count;
    raise exception 'undo' using errcode = 'TSTUN';
  exception
    when sqlstate 'TSTUN' then return case when n > 0 then 'ok' else 'filtered' end;
    when others then return sqlstate;
  end;
end
$$;

/**
 * tests.value_as(actor text, resource text, query text) returns jsonb
 * The rows of `query` (as a jsonb array, null when none) as seen by a matrix actor. Needed for
 * cryo_service, which has no usage on the `extensions` schema and so cannot call pgTAP itself.
 */
create or replace function tests.value_as(actor text, resource text, query text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  result jsonb;
begin
  perform tests.act_as(actor, resource);
  execute format('select jsonb_agg(q) from (%s) q', query) into result;
  perform tests.clear_authentication();
  return result;
end
$$;

/**
 * tests.scope_check(claims jsonb, query text) returns jsonb
 * The single value of `query` evaluated as cryo_service with the given claims.
 */
create or replace function tests.scope_check(claims jsonb, query text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  result jsonb;
begin
  perform tests.authenticate_as_role('cryo_service', claims);
  execute format('select to_jsonb((%s))', query) into result;
  perform tests.clear_authentication();
  return result;
end
$$;

/**
 * tests.matrix_case(actor text, tbl text, op text, target text) returns text
 * One cell of the access matrix on the fixture: op is select | insert | update | delete; target is the
 * fixture row ('P', 'A', 'B'; for insert, the team the new row goes to; for team_members, the team's
 * editor membership, and insert adds the outsider as viewer). Returns 'ok', 'filtered' or a
 * SQLSTATE (select: 'ok' = visible, 'filtered' = not visible).
 */
create or replace function tests.matrix_case(actor text, tbl text, op text, target text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  resource text := (select r.resource from private.access_registry r where r.table_name = ('public.' || tbl)::regclass);
  id uuid := tests.fid(tbl, target);
  team uuid := tests.fid('teams', target);
  -- team_members has no id: its target row is the team's editor membership
  pred text := case tbl when 'team_members' then format('team_id = %L and role = ''editor''', team) else format('id = %L', id) end;
  stmt text;
  result text;
begin
  stmt := case op
    when 'select' then format('select 1 from public.%I where %s', tbl, pred)
    when 'update' then format('update public.%I set %s where %s', tbl, case tbl
      when 'teams' then 'name = name || '' (edited)'''
      when 'team_members' then 'role = ''viewer'''
      when 'team_invitations' then 'revoked_at = now()'
      when 'molecules' then 'name = name || '' (edited)'''
      when 'molecule_identifiers' then 'source = source || '' (edited)'''
      when 'mixtures' then 'description = ''edited'''
      when 'mixture_components' then 'concentration = concentration + 1'
      when 'molecular_properties' then 'method = ''edited'''
      when 'property_types' then 'description = ''edited''' end, pred)
    when 'delete' then format('delete from public.%I where %s', tbl, pred)
    when 'insert' then case tbl
      when 'teams' then $s$insert into public.teams (name) values ('Matrix team')$s$
      when 'team_members' then format($s$insert into public.team_members (team_id, user_id, role) values (%L, %L, 'viewer')$s$,
        team, tests.get_supabase_uid('acc_outsider'))
      when 'team_invitations' then format($s$insert into public.team_invitations (team_id, invitee_email, role) values (%L, 'new.member@test.local', 'editor')$s$,
        team)
      when 'molecules' then format($s$insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
        values ('matrix molecule', 'CCO', 'MATRIXMOLECULE-INSERTEDXX-N', 'matrix', %L, 'team')$s$, team)
      when 'molecule_identifiers' then format($s$insert into public.molecule_identifiers (molecule_id, kind, value, source)
        values (%L, 'chembl_id', 'CHEMBL-matrix', 'matrix')$s$, tests.fid('molecules', target))
      when 'mixtures' then format($s$insert into public.mixtures (name, source, team_id, visibility)
        values ('matrix mixture', 'matrix', %L, 'team')$s$, team)
      when 'mixture_components' then format($s$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit)
        values (%L, %L, 2, 'M')$s$, tests.fid('mixtures', target), tests.fid('molecules', target))
      when 'molecular_properties' then format($s$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source)
        values (%L, %L, 7, 'matrix')$s$, tests.fid('molecules', target), tests.fid('property_types', 'P'))
      when 'property_types' then $s$insert into public.property_types (code, name) values ('matrix_prop', 'Matrix property')$s$
      end
    end;
  if stmt is null then
    raise exception 'tests.matrix_case: no statement for % on %', op, tbl;
  end if;
  perform tests.act_as(actor, resource);
  result := tests.attempt(stmt);
  perform tests.clear_authentication();
  return result;
end
$$;

/**
 * tests.matrix_case_sql(actor text, resource text, stmt text) returns text
 * tests.attempt() of a statement as a matrix actor.
 */
create or replace function tests.matrix_case_sql(actor text, resource text, stmt text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  result text;
begin
  perform tests.act_as(actor, resource);
  result := tests.attempt(stmt);
  perform tests.clear_authentication();
  return result;
end
$$;

/**
 * tests.team_data_expectations: what the access model promises on a team-data table, per actor and
 * operation on the fixture rows. Written out by hand (not derived from the policies) so that a policy
 * change that widens or narrows access makes a cell fail.
 */
create or replace view tests.team_data_expectations as
select * from (values
  -- actor,        op,       target, expected
  ('anon',         'select', 'P', 'ok'),    ('anon',         'select', 'A', 'filtered'), ('anon',         'select', 'B', 'filtered'),
  ('outsider',     'select', 'P', 'ok'),    ('outsider',     'select', 'A', 'filtered'), ('outsider',     'select', 'B', 'filtered'),
  ('viewer_a',     'select', 'P', 'ok'),    ('viewer_a',     'select', 'A', 'ok'),       ('viewer_a',     'select', 'B', 'filtered'),
  ('editor_a',     'select', 'P', 'ok'),    ('editor_a',     'select', 'A', 'ok'),       ('editor_a',     'select', 'B', 'filtered'),
  ('owner_a',      'select', 'P', 'ok'),    ('owner_a',      'select', 'A', 'ok'),       ('owner_a',      'select', 'B', 'filtered'),
  ('editor_b',     'select', 'P', 'ok'),    ('editor_b',     'select', 'A', 'filtered'), ('editor_b',     'select', 'B', 'ok'),
  ('svc_write_a',  'select', 'P', 'ok'),    ('svc_write_a',  'select', 'A', 'ok'),       ('svc_write_a',  'select', 'B', 'filtered'),
  ('svc_read_a',   'select', 'P', 'ok'),    ('svc_read_a',   'select', 'A', 'ok'),       ('svc_read_a',   'select', 'B', 'filtered'),
  ('svc_write_b',  'select', 'P', 'ok'),    ('svc_write_b',  'select', 'A', 'filtered'), ('svc_write_b',  'select', 'B', 'ok'),
  ('svc_none',     'select', 'P', 'filtered'), ('svc_none',    'select', 'A', 'filtered'), ('svc_none',     'select', 'B', 'filtered'),
  -- inserting a new private row of team A
  ('anon', 'insert', 'A', '42501'), ('outsider', 'insert', 'A', '42501'), ('viewer_a', 'insert', 'A', '42501'),
  ('editor_a', 'insert', 'A', 'ok'), ('owner_a', 'insert', 'A', 'ok'), ('editor_b', 'insert', 'A', '42501'),
  ('svc_write_a', 'insert', 'A', 'ok'), ('svc_read_a', 'insert', 'A', '42501'), ('svc_write_b', 'insert', 'A', '42501'),
  ('svc_none', 'insert', 'A', '42501')
) e(actor, op, target, expected)
union all
-- update and delete share one rule: the row's team editors/owners and that team's writing service client.
select a.actor, o.op, t.target,
  case
    when a.actor = 'anon' then '42501'
    when t.target = 'A' and a.actor in ('editor_a', 'owner_a', 'svc_write_a') then 'ok'
    when t.target = 'B' and a.actor in ('editor_b', 'svc_write_b') then 'ok'
    else 'filtered'
  end
from (values ('anon'), ('outsider'), ('viewer_a'), ('editor_a'), ('owner_a'), ('editor_b'),
             ('svc_write_a'), ('svc_read_a'), ('svc_write_b'), ('svc_none')) a(actor)
cross join (values ('update'), ('delete')) o(op)
cross join (values ('P'), ('A'), ('B')) t(target);

grant execute on all functions in schema tests to anon, authenticated, service_role, cryo_service;
grant usage on schema tests to cryo_service;
grant select on tests.team_data_expectations to postgres;

begin;
select plan(210);

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

-- Helpers: safe to call from policies
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

-- The scoped service role
select is((select rolcanlogin or rolbypassrls or rolsuper from pg_roles where rolname = 'cryo_service'), false,
  'cryo_service cannot log in and does not bypass RLS');
select ok(pg_has_role('cryo_api', 'cryo_service', 'member'), 'the edge functions'' login role may switch to cryo_service');
select ok(not pg_has_role('authenticator', 'cryo_service', 'member'), 'PostgREST cannot switch to cryo_service from a user token');

select tests.access_fixture();

-- service_has_scope parses OAuth-style scope strings
select is(tests.scope_check('{"scope": "molecules:read mixtures:write"}', 'private.service_has_scope(''molecules'', ''read'')'), 'true', 'a read scope grants read');
select is(tests.scope_check('{"scope": "molecules:read mixtures:write"}', 'private.service_has_scope(''molecules'', ''write'')'), 'false', 'a read scope does not grant write');
select is(tests.scope_check('{"scope": "molecules:read mixtures:write"}', 'private.service_has_scope(''mixtures'', ''read'')'), 'true', 'a write scope implies read');
select is(tests.scope_check('{"scope": "molecules:read mixtures:write"}', 'private.service_has_scope(''properties'', ''read'')'), 'false', 'a resource absent from the scope is not granted');
select is(tests.scope_check('{"scope": "molecules:read"}', 'private.service_team_id()'), null::jsonb, 'no team_id claim means no team');
select is(tests.scope_check('{"scope": "molecules:readx"}', 'private.service_has_scope(''molecules'', ''read'')'), 'false', 'scopes match whole words only');
select is(tests.scope_check('{"team_id": "not-a-uuid"}', 'private.service_team_id()'), null::jsonb, 'a malformed team_id claim means no team, not an error');

-- The matrix for teams and memberships: 10 actors × select/insert/update/delete × Alpha's and Beta's rows.
-- Nobody inserts teams or memberships directly (teams come from public.create_team(), memberships from it
-- and from accepted invitations); only owners change a team or its membership; service clients read their
-- own team with a teams scope and never write.
select is(tests.matrix_case(a.actor, t.tbl, o.op, g.target), e.expected,
  format('%s: %s %s on %s gives %s', t.tbl, a.actor, o.op, g.target, e.expected))
from (values ('anon'), ('outsider'), ('viewer_a'), ('editor_a'), ('owner_a'), ('editor_b'),
             ('svc_write_a'), ('svc_read_a'), ('svc_write_b'), ('svc_none')) a(actor)
cross join (values ('teams'), ('team_members')) t(tbl)
cross join (values ('select'), ('insert'), ('update'), ('delete')) o(op)
cross join (values ('A'), ('B')) g(target)
cross join lateral (select case
  when o.op = 'insert' and g.target = 'B' then null  -- one insert per actor is enough (into Alpha)
  when o.op = 'select' then case
    when g.target = 'A' and a.actor in ('viewer_a', 'editor_a', 'owner_a', 'svc_write_a', 'svc_read_a') then 'ok'
    when g.target = 'B' and a.actor in ('editor_b', 'svc_write_b') then 'ok'
    else 'filtered' end
  when a.actor = 'anon' then '42501'
  when o.op = 'insert' then '42501'
  else case when g.target = 'A' and a.actor = 'owner_a' then 'ok' else 'filtered' end
  end as expected) e
where e.expected is not null
order by t.tbl, o.op, a.actor, g.target;

-- Acting as anon: teams, members and profiles are not public
select tests.act_as('anon', 'teams');
select is_empty($$select 1 from public.teams$$, 'anon sees no team');
select is_empty($$select 1 from public.team_members$$, 'anon sees no membership');
select throws_ok($$insert into public.teams (name) values ('anon team')$$, '42501', null, 'anon cannot create a team');
select tests.clear_authentication();

-- Acting as a user in no team
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

-- Acting as a team viewer
select tests.act_as('viewer_a', 'teams');
select results_eq($$select id from public.teams$$, array[tests.fid('teams', 'A')], 'a viewer sees their own team only');
select is((select count(*)::int from public.team_members), 3, 'a viewer sees the members of their team, not of others');
select is_empty($$update public.teams set name = 'renamed' where id = tests.fid('teams', 'A') returning id$$, 'a viewer cannot rename the team');
select is_empty($$delete from public.team_members where user_id = tests.get_supabase_uid('acc_viewer_a') returning user_id$$,
  'a viewer cannot change membership, not even their own');
select tests.clear_authentication();

-- Acting as a team editor
select tests.act_as('editor_a', 'teams');
select throws_ok(format($$insert into public.team_members (team_id, user_id, role) values (%L, %L, 'viewer')$$,
  tests.fid('teams', 'A'), tests.get_supabase_uid('acc_outsider')), '42501', null, 'an editor cannot add members');
select is_empty($$update public.team_members set role = 'owner' where user_id = tests.get_supabase_uid('acc_editor_a') returning user_id$$,
  'an editor cannot promote themself');
select is_empty($$delete from public.teams where id = tests.fid('teams', 'A') returning id$$, 'an editor cannot delete the team');
select tests.clear_authentication();

-- Acting as an editor of the other team
select tests.act_as('editor_b', 'teams');
select results_eq($$select id from public.teams where id in (tests.fid('teams', 'A'), tests.fid('teams', 'B'))$$,
  array[tests.fid('teams', 'B')], 'a member of Beta does not see Alpha');
select is_empty($$select 1 from public.team_members where team_id = tests.fid('teams', 'A')$$, 'a member of Beta does not see Alpha''s members');
select is_empty($$update public.team_members set role = 'viewer' where team_id = tests.fid('teams', 'A') returning user_id$$,
  'a member of Beta cannot change Alpha''s membership');
select tests.clear_authentication();

-- Acting as a team owner
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

-- Acting as the scoped service client
select is(tests.value_as('svc_read_a', 'teams', 'select id from public.teams'), jsonb_build_array(jsonb_build_object('id', tests.fid('teams', 'A'))),
  'a service client with teams:read sees its own team only');
select is(tests.matrix_case_sql('svc_write_a', 'teams', $$insert into public.teams (name) values ('service team')$$), '42501',
  'a service client cannot create teams, even with teams:write');
select is(tests.value_as('svc_none', 'teams', 'select 1 from public.teams'), null, 'a service client without teams scope sees no team');
select is(tests.value_as('svc_none', 'teams', 'select 1 from public.team_members'), null, 'a service client without teams scope sees no membership');

-- Profiles: your own, and your teammates'
insert into public.profiles (id, display_name) values (tests.get_supabase_uid('acc_owner_a'), 'Owner A'), (tests.get_supabase_uid('acc_editor_b'), 'Editor B');
select tests.act_as('viewer_a', 'profiles');
select results_eq($$select display_name from public.profiles$$, array['Owner A'], 'a member sees teammates'' profiles and no one else''s');
select lives_ok(format($$insert into public.profiles (id, display_name) values (%L, 'Viewer A')$$, tests.get_supabase_uid('acc_viewer_a')),
  'a user creates their own profile');
select throws_ok(format($$insert into public.profiles (id, display_name) values (%L, 'forged')$$, tests.get_supabase_uid('acc_outsider')),
  '42501', null, 'a user cannot create someone else''s profile');
select is_empty($$update public.profiles set display_name = 'defaced' where id <> (select auth.uid()) returning id$$,
  'a user cannot edit a teammate''s profile');
select tests.clear_authentication();
select tests.act_as('anon', 'profiles');
select is_empty($$select 1 from public.profiles$$, 'anon sees no profile');
select tests.clear_authentication();
select is(tests.matrix_case_sql('anon', 'profiles', format($$insert into public.profiles (id) values (%L)$$, tests.get_supabase_uid('acc_outsider'))),
  '42501', 'anon cannot create profiles');
select is(tests.matrix_case_sql('owner_a', 'profiles', format($$delete from public.profiles where id = %L$$, tests.get_supabase_uid('acc_editor_b'))),
  'filtered', 'a user cannot delete someone else''s profile');
select is(tests.matrix_case_sql('owner_a', 'profiles', format($$delete from public.profiles where id = %L$$, tests.get_supabase_uid('acc_owner_a'))),
  'ok', 'a user can delete their own profile');
select is(tests.value_as('svc_write_a', 'profiles', 'select 1 from public.profiles'), null, 'a service client sees no profile, whatever its scope');
select is(tests.matrix_case_sql('svc_write_a', 'profiles', format($$update public.profiles set display_name = 'x' where id = %L$$, tests.get_supabase_uid('acc_owner_a'))),
  'filtered', 'a service client cannot edit profiles');

select * from finish();
rollback;
