/**
 * Every pgTAP helper, in one place (schema `tests`): installed by this first file, outside any test
 * transaction, and used by every later file, which is pure specification.
 *
 *   Acting as someone     create_supabase_user, get_supabase_uid, authenticate_as, authenticate_as_role,
 *                         clear_authentication, act_as (the matrix actors)
 *   The fixture           fid, access_fixture, matrix_fixture (per-table statements of the access matrix)
 *   Outcomes              attempt, matrix_case, matrix_case_sql, value_as, scope_check, error_of, error_as
 *   Catalog and plans     rls_enabled, plan_as
 *   Temp-shadowing probe  probe_tables, probe_plant, probe_arg_lists, definer_probe, and two control
 *                         definers written the vulnerable way, which the probe must catch
 * They act on the database exactly as PostgREST does for a request: `set local role <role>` plus the
 * JWT claims in `request.jwt.claims`, both transaction-local. Outcomes of a statement are one vocabulary:
 * 'allowed' (it affected or returned rows), 'filtered' (RLS hid every row), 'denied' (42501), or the
 * SQLSTATE of any other error.
 */
create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role, cryo_service;

/** --- Acting as someone --- */

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

/** --- The access fixture, the matrix actors, outcomes --- */

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
  insert into public.toxicity_sources (id, name, title) values (tests.fid('toxicity_sources', 'P'), 'fixture-source', 'Fixture source');
  insert into public.toxicity_endpoints (id, code, name) values (tests.fid('toxicity_endpoints', 'P'), 'fixture_endpoint', 'fixture endpoint');
  insert into public.toxicity_assays (id, source_id, source_assay_id) values (tests.fid('toxicity_assays', 'P'), tests.fid('toxicity_sources', 'P'), 'FIXTURE-ASSAY');
  insert into public.assay_endpoint_mappings (assay_id, endpoint_id, basis) values (tests.fid('toxicity_assays', 'P'), tests.fid('toxicity_endpoints', 'P'), 'fixture');
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
    insert into public.toxicity_records (id, molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_value, raw_unit,
                                         qualifier, value, unit, conversion, record_key, team_id, visibility)
    values (tests.fid('toxicity_records', t), tests.fid('molecules', t), 'exact', tests.fid('toxicity_sources', 'P'), tests.fid('toxicity_endpoints', 'P'),
            'LD50', '420', 'mg/kg', '=', 420, 'mg/kg', 'as given', encode(sha256(convert_to('fixture record ' || t, 'UTF8')), 'hex'), f,
            case t when 'P' then 'public' else 'team' end);
    if t <> 'P' then -- import bookkeeping belongs to a team
      insert into public.toxicity_import_jobs (id, source_id, format, target_visibility, team_id)
      values (tests.fid('toxicity_import_jobs', t), tests.fid('toxicity_sources', 'P'), 'cryoprotect', 'team', f);
      insert into public.toxicity_import_errors (id, job_id, source_row, field, code, reason, team_id)
      values (tests.fid('toxicity_import_errors', t), tests.fid('toxicity_import_jobs', t), 1, 'smiles', 'FIXTURE', 'fixture rejection', f);
    end if;
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
 * Runs one statement as the current role and undoes it. Returns 'allowed' when it affected or returned at
 * least one row, 'filtered' when none (RLS hid them), 'denied' when it raised 42501, otherwise the
 * SQLSTATE it raised (e.g. '23514').
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
    when sqlstate 'TSTUN' then return case when n > 0 then 'allowed' else 'filtered' end;
    when sqlstate '42501' then return 'denied';
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
 * tests.matrix_fixture: how the access matrix touches each table, one row per table (adding a table to
 * the access model means adding its fixture rows to tests.access_fixture() and one row here; the matrix
 * itself, tests.matrix_case(), is the same for every table).
 *   row_filter  the fixture row a target names, with $target standing for 'P', 'A' or 'B'
 *   update_set  a harmless change to that row
 *   insert_sql  a new row for the target's team ($target), as a client would send it
 * Statements may call tests.fid() and tests.get_supabase_uid(): they run as the actor.
 */
set client_min_messages = warning; -- a first run has nothing to drop
drop table if exists tests.matrix_fixture;
reset client_min_messages;
create table tests.matrix_fixture (
  table_name regclass primary key,
  row_filter text not null default $$id = tests.fid('<table>', $target)$$,
  update_set text not null,
  insert_sql text not null
);
grant select on tests.matrix_fixture to anon, authenticated, service_role, cryo_service;
insert into tests.matrix_fixture (table_name, row_filter, update_set, insert_sql) values
  ('public.teams', default, $$name = name || ' (edited)'$$,
    $$insert into public.teams (name) values ('Matrix team')$$),
  -- team_members has no id: a target names the team's editor membership; an insert adds the outsider
  ('public.team_members', $$team_id = tests.fid('teams', $target) and role = 'editor'$$, $$role = 'viewer'$$,
    $$insert into public.team_members (team_id, user_id, role) values (tests.fid('teams', $target), tests.get_supabase_uid('acc_outsider'), 'viewer')$$),
  ('public.team_invitations', default, $$revoked_at = now()$$,
    $$insert into public.team_invitations (team_id, invitee_email, role) values (tests.fid('teams', $target), 'new.member@test.local', 'editor')$$),
  ('public.molecules', default, $$name = name || ' (edited)'$$,
    $$insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
      values ('matrix molecule', 'CCO', 'MATRIXMOLECULE-INSERTEDXX-N', 'matrix', tests.fid('teams', $target), 'team')$$),
  ('public.molecule_identifiers', default, $$source = source || ' (edited)'$$,
    $$insert into public.molecule_identifiers (molecule_id, kind, value, source) values (tests.fid('molecules', $target), 'chembl_id', 'CHEMBL-matrix', 'matrix')$$),
  ('public.mixtures', default, $$description = 'edited'$$,
    $$insert into public.mixtures (name, source, team_id, visibility) values ('matrix mixture', 'matrix', tests.fid('teams', $target), 'team')$$),
  ('public.mixture_components', default, $$concentration = concentration + 1$$,
    $$insert into public.mixture_components (mixture_id, molecule_id, concentration, unit) values (tests.fid('mixtures', $target), tests.fid('molecules', $target), 2, 'M')$$),
  ('public.molecular_properties', default, $$method = 'edited'$$,
    $$insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, source)
      values (tests.fid('molecules', $target), tests.fid('property_types', 'P'), 7, 'matrix')$$),
  ('public.property_types', default, $$description = 'edited'$$,
    $$insert into public.property_types (code, name) values ('matrix_prop', 'Matrix property')$$),
  ('public.toxicity_sources', default, $$description = 'edited'$$,
    $$insert into public.toxicity_sources (name, title) values ('matrix-source', 'Matrix source')$$),
  ('public.toxicity_endpoints', default, $$description = 'edited'$$,
    $$insert into public.toxicity_endpoints (code, name) values ('matrix_endpoint', 'matrix endpoint')$$),
  ('public.toxicity_assays', default, $$description = 'edited'$$,
    $$insert into public.toxicity_assays (source_id, source_assay_id) values (tests.fid('toxicity_sources', 'P'), 'MATRIX-ASSAY')$$),
  -- assay_endpoint_mappings has no id: the fixture assay's mapping
  ('public.assay_endpoint_mappings', $$assay_id = tests.fid('toxicity_assays', $target)$$, $$basis = 'edited'$$,
    $$insert into public.assay_endpoint_mappings (assay_id, endpoint_id, basis)
      values (tests.fid('toxicity_assays', 'P'), (select e.id from public.toxicity_endpoints e where e.code = 'cytotoxicity'), 'matrix')$$),
  ('public.toxicity_records', default, $$citation = 'edited'$$,
    $$insert into public.toxicity_records (molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_value, qualifier, value, unit,
                                          conversion, record_key, team_id, visibility)
      values (tests.fid('molecules', $target), 'exact', tests.fid('toxicity_sources', 'P'), tests.fid('toxicity_endpoints', 'P'), 'LD50', '5', '=', 5,
              'mg/kg', 'as given', repeat('e', 64), tests.fid('teams', $target), 'team')$$),
  ('public.toxicity_import_jobs', default, $$file_name = 'edited'$$,
    $$insert into public.toxicity_import_jobs (source_id, format, target_visibility, team_id)
      values (tests.fid('toxicity_sources', 'P'), 'tox21', 'team', tests.fid('teams', $target))$$),
  ('public.toxicity_import_errors', default, $$reason = 'edited'$$,
    $$insert into public.toxicity_import_errors (job_id, source_row, code, reason, team_id)
      values (tests.fid('toxicity_import_jobs', $target), 99, 'MATRIX', 'matrix', tests.fid('teams', $target))$$);

/**
 * tests.matrix_case(actor text, tbl regclass, op text, target text) returns text
 * One cell of the access matrix on the fixture, for any table described in tests.matrix_fixture: `op`
 * (select | insert | update | delete) on fixture row `target` ('P' public, 'A' Alpha's, 'B' Beta's; for
 * insert, a new row of that team) as `actor` with the scope of the table's resource in
 * private.access_registry. Returns tests.attempt()'s outcome: 'allowed', 'filtered', 'denied' or a SQLSTATE.
 *   select tests.matrix_case('viewer_a', 'public.molecules', 'select', 'A'); -- 'allowed'
 */
create or replace function tests.matrix_case(actor text, tbl regclass, op text, target text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  f tests.matrix_fixture;
  resource text;
  pred text;
  stmt text;
  result text;
begin
  select * into f from tests.matrix_fixture m where m.table_name = tbl;
  select r.resource into resource from private.access_registry r where r.table_name = tbl;
  if f.table_name is null or resource is null then
    raise exception 'tests.matrix_case: % needs a row in tests.matrix_fixture and in private.access_registry', tbl;
  end if;
  pred := replace(replace(f.row_filter, '<table>', (select c.relname from pg_catalog.pg_class c where c.oid = tbl)), '$target', quote_literal(target));
  stmt := case op
    when 'select' then format('select 1 from %s where %s', tbl, pred)
    when 'update' then format('update %s set %s where %s', tbl, f.update_set, pred)
    when 'delete' then format('delete from %s where %s', tbl, pred)
    when 'insert' then replace(f.insert_sql, '$target', quote_literal(target))
    end;
  if stmt is null then
    raise exception 'tests.matrix_case: unknown operation %', op;
  end if;
  perform tests.act_as(actor, resource);
  result := tests.attempt(stmt);
  perform tests.clear_authentication();
  return result;
end
$$;

/**
 * tests.matrix_case_sql(actor text, resource text, stmt text) returns text
 * tests.attempt() of any statement as a matrix actor with the scope of `resource`.
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

/** --- Plans --- */

/**
 * tests.plan_as(actor text, query text) returns jsonb
 * EXPLAIN (ANALYZE, FORMAT JSON) of the query as a matrix actor (acting as PostgREST would).
 */
create or replace function tests.plan_as(actor text, query text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  plan json;
begin
  perform tests.act_as(actor, 'molecules');
  execute 'explain (analyze, costs off, timing off, format json) ' || query into plan;
  perform tests.clear_authentication();
  return plan::jsonb;
end
$$;
/** --- Errors, compared whole --- */

/**
 * tests.error_of(stmt text) returns text
 * 'SQLSTATE: message' of the error the statement raises as the current role, or 'no error' (undone).
 */
create or replace function tests.error_of(stmt text)
returns text
language plpgsql
set search_path = ''
as $$
begin
  begin
    execute stmt;
    raise exception 'undo' using errcode = 'TSTUN';
  exception
    when sqlstate 'TSTUN' then return 'no error';
    when others then return sqlstate || ': ' || sqlerrm;
  end;
end
$$;

/**
 * tests.error_as(role_name text, claims jsonb, stmt text) returns text
 * tests.error_of() as an API role with the given claims (usable for cryo_service, which cannot call pgTAP).
 */
create or replace function tests.error_as(role_name text, claims jsonb, stmt text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  result text;
begin
  perform tests.authenticate_as_role(role_name, claims);
  result := tests.error_of(stmt);
  perform tests.clear_authentication();
  return result;
end
$$;
/** --- The temp-shadowing probe (threat-definer-temp-shadowing) --- */

/**
 * tests.probe_plant() returns jsonb
 * As the current role: temp tables shadowing every table/view of public, private and auth (poisoned
 * copies, from rows read beforehand by the runner and passed in tests.probe_rows), then a trap and a
 * domain over every pg_catalog base/range/multirange type. Returns what was planted.
 */
create or replace function tests.probe_plant(tables jsonb)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  t jsonb;
  ty name;
  domains text[] := '{}';
  made text[] := '{}';
begin
  for t in select * from jsonb_array_elements(tables) loop
    continue when (t ->> 'name') = any (made);
    execute format('create temporary table %I (%s)', t ->> 'name', t ->> 'columns');
    execute format('insert into pg_temp.%I select * from jsonb_populate_recordset(null::pg_temp.%I, $1)', t ->> 'name', t ->> 'name')
      using coalesce(t -> 'rows', '[]');
    execute format('grant all on pg_temp.%I to public', t ->> 'name');
    made := made || (t ->> 'name');
  end loop;

  create temporary sequence cryo_trap_hits;
  grant all on sequence pg_temp.cryo_trap_hits to public;
  create temporary table cryo_trap_log (role text, type text);
  grant all on pg_temp.cryo_trap_log to public;
  execute format($f$
    create function pg_temp.cryo_trap(v anyelement) returns pg_catalog.bool language plpgsql as $t$
    begin
      if current_user::pg_catalog.text <> %L then
        perform pg_catalog.nextval('pg_temp.cryo_trap_hits');
        begin
          insert into pg_temp.cryo_trap_log values (current_user::pg_catalog.text, pg_catalog.pg_typeof(v)::pg_catalog.text);
        exception when others then null;
        end;
      end if;
      return true;
    end $t$ $f$, current_user);

  for ty in select y.typname from pg_catalog.pg_type y
            where y.typnamespace = 'pg_catalog'::regnamespace and y.typtype in ('b', 'r', 'm') and y.typname !~ '^_'
            order by y.typname loop
    begin
      execute format('create domain pg_temp.%I as pg_catalog.%I check (pg_temp.cryo_trap(value))', ty, ty);
      domains := domains || ty::text;
    exception when others then null; -- a few internal types cannot carry a domain
    end;
  end loop;
  return jsonb_build_object('tables', to_jsonb(made), 'domains', to_jsonb(domains));
end
$$;

/**
 * tests.probe_tables() returns jsonb
 * As the runner: every table, view and materialized view of public, private and auth with its column list
 * and up to 50 poisoned rows (visibility 'public' everywhere; in team_members, the given user as owner of
 * every team).
 */
create or replace function tests.probe_tables(poison_user uuid)
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  c record;
  result jsonb := '[]';
  cols text;
  rows jsonb;
begin
  for c in select cl.oid, n.nspname, cl.relname from pg_class cl join pg_namespace n on n.oid = cl.relnamespace
           where n.nspname in ('public', 'private', 'auth') and cl.relkind in ('r', 'p', 'v', 'm')
           order by n.nspname <> 'public', n.nspname, cl.relname loop
    select string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' order by a.attnum) into cols
    from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped;
    execute format('select jsonb_agg(r) from (select * from %I.%I limit 50) r', c.nspname, c.relname) into rows;
    if c.nspname = 'public' and c.relname = 'team_members' then
      rows := coalesce(rows, '[]') || coalesce((select jsonb_agg(jsonb_build_object('team_id', t.id, 'user_id', poison_user, 'role', 'owner'))
                                                from public.teams t), '[]');
    end if;
    rows := (select jsonb_agg(case when r ? 'visibility' then r || '{"visibility": "public"}' else r end) from jsonb_array_elements(rows) r);
    result := result || jsonb_build_array(jsonb_build_object('name', c.relname, 'columns', cols, 'rows', coalesce(rows, '[]')));
  end loop;
  return result;
end
$$;

/**
 * tests.definer_probe(actor text, planted boolean, extra regprocedure[]) returns jsonb
 * Acts as `actor`, plants (when asked), calls every security-definer function of public and private (plus
 * `extra`) with sample arguments, fires every definer trigger path, and reports each call's outcome, the
 * trap's hit count, and what was planted. Everything it did is rolled back.
 */
create or replace function tests.definer_probe(actor text, planted boolean, extra regprocedure[] default '{}')
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  tables jsonb := tests.probe_tables(tests.get_supabase_uid(case when actor in ('anon', 'svc') then 'acc_outsider' else 'acc_' || actor end));
  fns jsonb;
  trig_tables jsonb;
  f jsonb;
  args text;
  stmt text;
  outcome text;
  val text;
  n bigint;
  results jsonb := '{}';
  plant jsonb := '{}';
  hits bigint := 0;
  tbl jsonb;
begin
  -- Every callable definer (trigger functions are fired below), with the sample argument lists to try.
  select coalesce(jsonb_agg(jsonb_build_object('fn', x.fn, 'volatile', x.volatile, 'args', x.args) order by x.fn), '[]') into fns
  from (
    select p.oid::regprocedure::text as fn, p.provolatile = 'v' as volatile, p.oid::regproc::text as name,
           (select coalesce(jsonb_agg(l), '[]') from tests.probe_arg_lists(p.proargtypes::oid[]) l) as args
    from pg_proc p
    where (p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and p.prosecdef
           and p.prorettype <> 'trigger'::regtype and p.prokind = 'f')
       or p.oid = any (extra::oid[])
  ) x;
  -- Every table with a definer trigger, with its columns.
  select coalesce(jsonb_agg(distinct jsonb_build_object('rel', t.tgrelid::regclass::text,
           'cols', (select jsonb_agg(a.attname order by a.attnum) from pg_attribute a
                    where a.attrelid = t.tgrelid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attidentity = ''))), '[]')
    into trig_tables
  from pg_trigger t join pg_proc p on p.oid = t.tgfoid
  where p.prosecdef and not t.tgisinternal;

  begin
    case actor
    when 'anon' then perform tests.authenticate_as_role('anon', jsonb_build_object('team_id', tests.fid('teams', 'B'),
      'scope', 'molecules:write mixtures:write properties:write teams:write profiles:write'));
    when 'svc' then perform tests.authenticate_as_role('cryo_service', jsonb_build_object('sub', 'svc:probe', 'team_id', tests.fid('teams', 'A'),
      'scope', 'molecules:write mixtures:write properties:write teams:write profiles:write'));
    else perform tests.authenticate_as('acc_' || actor);
    end case;

    if planted then
      plant := tests.probe_plant(tables);
    end if;

    for f in select * from jsonb_array_elements(fns) loop
      for args in select jsonb_array_elements_text(f -> 'args') loop
        stmt := format('select pg_catalog.jsonb_agg(r) from %s(%s) r', (f ->> 'fn')::regprocedure::regproc::text, args);
        -- Each call is undone, so that no call's writes (a new team, an accepted invitation) change another's result.
        begin
          execute stmt into val;
          outcome := case when (f ->> 'volatile')::bool then 'ok' else 'ok:' || md5(coalesce(val, 'null')) end;
          raise exception 'undo' using errcode = 'TSTUD';
        exception
          when sqlstate 'TSTUD' then null;
          when others then outcome := sqlstate;
        end;
        results := results || jsonb_build_object(format('%s(%s)', f ->> 'fn', args), outcome);
      end loop;
    end loop;

    for tbl in select * from jsonb_array_elements(trig_tables) loop
      for stmt in
        select format('update %s set %s', tbl ->> 'rel', (select string_agg(format('%I = %I', c, c), ', ') from jsonb_array_elements_text(tbl -> 'cols') c))
        union all
        select format('update %s set visibility = case visibility when ''public'' then ''team'' else ''public'' end where team_id is not null', tbl ->> 'rel')
        where (tbl -> 'cols') ? 'visibility' and (tbl -> 'cols') ? 'team_id'
        union all
        select format('insert into %s (%s) select %s from %s', tbl ->> 'rel', cl, cl, tbl ->> 'rel')
        from (select string_agg(format('%I', c), ', ') as cl from jsonb_array_elements_text(tbl -> 'cols') c where c <> 'id') x
        union all
        -- the same, limited to team rows: those the actor may write, so that inserts also succeed
        select format('insert into %s (%s) select %s from %s where team_id is not null', tbl ->> 'rel', cl, cl, tbl ->> 'rel')
        from (select string_agg(format('%I', c), ', ') as cl from jsonb_array_elements_text(tbl -> 'cols') c where c <> 'id') x
        where (tbl -> 'cols') ? 'team_id'
        union all
        select format('delete from %s', tbl ->> 'rel')
      loop
        begin
          execute stmt;
          get diagnostics n = row_count;
          outcome := 'ok:' || n;
          raise exception 'undo' using errcode = 'TSTUD';
        exception
          when sqlstate 'TSTUD' then null;
          when others then outcome := sqlstate;
        end;
        results := results || jsonb_build_object(stmt, outcome);
      end loop;
    end loop;

    if planted then
      select case when s.is_called then s.last_value else 0 end into hits from pg_temp.cryo_trap_hits s;
    end if;
    raise exception 'probe done' using errcode = 'TSTUN';
  exception when sqlstate 'TSTUN' then
    null;
  end;
  return jsonb_build_object('results', results, 'hits', hits, 'planted', plant);
end
$$;

/**
 * tests.probe_arg_lists(types oid[]) returns setof text
 * Argument lists to try for a function of these argument types: a few samples per type (null, fixture
 * ids, resource and action names), at most 24 combinations.
 */
create or replace function tests.probe_arg_lists(types oid[])
returns setof text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  lists text[] := array[''];
  samples text[];
  ty oid;
begin
  foreach ty in array coalesce(types, '{}') loop
    samples := case ty
      when 'uuid'::regtype then array['null::pg_catalog.uuid'] || (select array_agg(quote_literal(tests.fid(t, g)) || '::pg_catalog.uuid')
          from (values ('molecules', 'P'), ('molecules', 'A'), ('molecules', 'B'), ('mixtures', 'A'), ('mixtures', 'B'),
                       ('team_invitations', 'A'), ('team_invitations', 'B'), ('teams', 'B')) s(t, g))
      when 'text'::regtype then array['null::pg_catalog.text', '''molecules''', '''read''', '''write''', '''Probe team''']
      when 'regclass'::regtype then array['''public.molecules''::pg_catalog.regclass']
      else array[(select format('null::%I.%I', n.nspname, y.typname) from pg_type y join pg_namespace n on n.oid = y.typnamespace where y.oid = ty)]
      end;
    -- In a fixed order: the first 24 combinations must be the same ones on every run.
    lists := (select array_agg(case when l = '' then s else l || ', ' || s end order by li, si)
              from unnest(lists) with ordinality a(l, li), unnest(samples) with ordinality b(s, si));
  end loop;
  return query select l from unnest(lists) with ordinality u(l, i) order by i limit 24;
end
$$;

/** A definer written the old way: empty search_path and an unqualified cast. The harness must catch it. */
create or replace function tests.vulnerable_control()
returns text
language sql
stable
security definer
set search_path = ''
as $$ select (pg_catalog.current_setting('request.jwt.claims', true)::jsonb ->> 'team_id')::uuid::text $$;

/** A definer that names a table without its schema (search_path ''): the result comparison must catch it. */
create or replace function tests.vulnerable_table_control()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$ begin return (select pg_catalog.count(*)::pg_catalog.text from public.teams t where t.id in (select m.team_id from team_members m)); end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role, cryo_service;

begin;
select plan(5);
select has_function('tests', 'authenticate_as', array['text'], 'tests.authenticate_as(identifier) exists');
select has_function('tests', 'authenticate_as_role', array['text', 'jsonb'], 'tests.authenticate_as_role(role, claims) exists');
select has_function('tests', 'clear_authentication', array[]::text[], 'tests.clear_authentication() exists');
select has_function('tests', 'rls_enabled', array['text'], 'tests.rls_enabled(schema) exists');
select has_function('tests', 'matrix_case', array['text', 'regclass', 'text', 'text'], 'tests.matrix_case(actor, table, action, target) exists');
select * from finish();
rollback;

/** --- Toxicity records (40-toxicity-schema.sql, 41-toxicity-summary.sql) --- */

/**
 * tests.toxicity_insert(changes jsonb default '{}') returns text
 * One insert statement of a valid public LD50 record (420 mg/kg, as given) about the public fixture
 * molecule, with `changes` (column → value) applied: a test changes one thing and runs it as any actor.
 *   select tests.attempt(tests.toxicity_insert('{"unit": "mmol/kg"}'));
 */
create or replace function tests.toxicity_insert(changes jsonb default '{}')
returns text
language sql
set search_path = ''
as $$
  select format('insert into public.toxicity_records select * from jsonb_populate_record(null::public.toxicity_records, %L::jsonb)',
    jsonb_build_object(
      'id', gen_random_uuid(), 'molecule_id', tests.fid('molecules', 'P'), 'molecule_match', 'exact',
      'source_id', tests.fid('toxicity_sources', 'P'), 'endpoint_id', tests.fid('toxicity_endpoints', 'P'),
      'value_type', 'LD50', 'raw_qualifier', null, 'raw_value', '420', 'raw_unit', 'mg/kg', 'qualifier', '=', 'value', 420,
      'unit', 'mg/kg', 'conversion', 'as given', 'record_key', encode(sha256(convert_to(random()::text, 'UTF8')), 'hex'),
      'created_at', now(), 'team_id', null, 'visibility', 'public') || changes);
$$;
grant execute on function tests.toxicity_insert(jsonb) to anon, authenticated, cryo_service;
