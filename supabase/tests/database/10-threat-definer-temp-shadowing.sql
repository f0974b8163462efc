/**
 * Threat: an API role plants objects in its session's temporary schema to make a security-definer
 * function run its code, or read its tables, as the definer's owner (issue 7, item 1).
 *
 * Postgres searches pg_temp FIRST for relations and types unless search_path names it (last). So each
 * actor (anon; authenticated as an owner and as an invitee; cryo_service with every scope and a non-uuid
 * sub) plants, inside this rolled-back transaction:
 *   - a domain over EVERY base, range and multirange type of pg_catalog (uuid, text, jsonb, bool, int4,
 *     numeric, name, regclass, timestamptz, ...), named like it, whose CHECK calls a trap that counts (in a
 *     non-transactional sequence) every call made by another role than the planter;
 *   - a temporary table named like every table, view and materialized view of public, private and auth,
 *     filled with poisoned copies (every row public, the caller owner of every team);
 * then calls EVERY security-definer function of public/private found in pg_proc (so a new one is covered
 * without editing this file) with sample arguments per argument type, and fires every definer trigger
 * (insert, update of every column, a team/visibility flip that cascades, delete on each table that has
 * one). It must hold that the trap never ran as anyone else and every result (value, SQLSTATE, row count)
 * equals the one of the same run without the plants. A control definer written the old way (search_path
 * '', an unqualified cast) proves the harness catches a vulnerable function.
 * Then the catalog rules: every definer has search_path pg_catalog, pg_temp (pg_temp last) and no definer
 * calls the platform's auth.uid()/auth.jwt()/auth.role()/auth.email().
 */
begin;
select plan(26);
select tests.access_fixture();

-- What the migrations left: which API roles may create temporary objects (asserted at the end).
create temporary table temp_at_start as
select r as role_name, has_database_privilege(r, current_database(), 'temporary') as has_temp
from unnest(array['anon', 'authenticated', 'cryo_service']) r;

-- TEMP may be revoked from PUBLIC (definer_hardening); give it back to the API roles inside this
-- transaction so that planting is possible, as it would be on a database where it is granted.
do $$
begin
  if not (has_database_privilege('anon', current_database(), 'temporary')
          and has_database_privilege('authenticated', current_database(), 'temporary')
          and has_database_privilege('cryo_service', current_database(), 'temporary')) then
    execute format('grant temporary on database %I to anon, authenticated, cryo_service', current_database());
  end if;
end
$$;

/** --- The issue's example, as it was reported --- */
-- As anon with a team_id claim: a domain pg_temp.uuid whose check copies public.molecules into a temp
-- table, then private.service_team_id(), which casts the claim to uuid.
select tests.authenticate_as_role('anon', jsonb_build_object('team_id', tests.fid('teams', 'B')));
create temporary table loot (id uuid, visibility text);
create function pg_temp.steal(v pg_catalog.uuid) returns boolean language sql
as $$ insert into pg_temp.loot select m.id, m.visibility from public.molecules m; select true $$;
create domain pg_temp.uuid as pg_catalog.uuid check (pg_temp.steal(value));
select lives_ok($$select private.service_team_id()$$, 'anon calls private.service_team_id() with a planted pg_temp.uuid');
select is((select count(*)::int from pg_temp.loot where visibility = 'team'), 0,
  'no team-private molecule reaches the planted domain (its check never runs as the definer''s owner)');
drop domain pg_temp.uuid;
drop function pg_temp.steal(pg_catalog.uuid);
drop table pg_temp.loot;
select tests.clear_authentication();

/** --- The probe --- */

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
    lists := (select array_agg(case when l = '' then s else l || ', ' || s end) from unnest(lists) l, unnest(samples) s);
  end loop;
  return query select l from unnest(lists) l limit 24;
end
$$;

/** A definer written the old way: empty search_path and an unqualified cast. The harness must catch it. */
create function tests.vulnerable_control()
returns text
language sql
stable
security definer
set search_path = ''
as $$ select (pg_catalog.current_setting('request.jwt.claims', true)::jsonb ->> 'team_id')::uuid::text $$;

/** A definer that names a table without its schema (search_path ''): the result comparison must catch it. */
create function tests.vulnerable_table_control()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$ begin return (select pg_catalog.count(*)::pg_catalog.text from public.teams t where t.id in (select m.team_id from team_members m)); end $$;

grant execute on function tests.probe_plant(jsonb), tests.probe_arg_lists(oid[]), tests.vulnerable_control(),
  tests.vulnerable_table_control() to anon, authenticated, cryo_service;

create temporary table probes (actor text, planted boolean, result jsonb);
insert into probes
select a.actor, p.planted, tests.definer_probe(a.actor, p.planted)
from unnest(array['anon', 'owner_a', 'outsider', 'svc']) a(actor), unnest(array[false, true]) p(planted);

/** --- The harness itself --- */
select ok(
  (select count(*) from jsonb_object_keys((select result -> 'results' from probes where actor = 'owner_a' and not planted))) > 40,
  'the probe makes its calls (every definer with its sample arguments, every definer trigger path)');
select ok(
  (select bool_and((result -> 'planted' -> 'domains') ?& array['uuid', 'text', 'jsonb', 'bool', 'int4', 'int8', 'numeric', 'name', 'regclass',
                                                              'timestamptz', 'interval', 'oid', 'varchar', 'regprocedure', 'tstzrange'])
   from probes where planted),
  'every actor planted domains over uuid, text, jsonb, bool, int4, int8, numeric, name, regclass, timestamptz, interval, oid, varchar, regprocedure, tstzrange');
select ok(
  (select bool_and((result -> 'planted' -> 'tables') ?& array['molecules', 'team_members', 'teams', 'team_invitations', 'users',
                                                             'access_registry', 'molecule_property_summary', 'mixture_composition_summary'])
   from probes where planted),
  'every actor planted temp tables named like the tables of public, private and auth');
select cmp_ok(
  (select jsonb_array_length(result -> 'planted' -> 'domains') from probes where actor = 'anon' and planted), '>=',
  (select count(*)::int - 10 from pg_type y where y.typnamespace = 'pg_catalog'::regnamespace and y.typtype in ('b', 'r', 'm') and y.typname !~ '^_'),
  'nearly every pg_catalog base type is shadowed (a handful of internal types cannot carry a domain)');
select cmp_ok((tests.definer_probe('anon', true, array['tests.vulnerable_control()'::regprocedure]) ->> 'hits')::int, '>', 0,
  'control: a definer with search_path '''' and an unqualified cast does run the planted trap as its owner');
select isnt(tests.definer_probe('owner_a', true, array['tests.vulnerable_table_control()'::regprocedure]) -> 'results' ->> 'tests.vulnerable_table_control()()',
            tests.definer_probe('owner_a', false, array['tests.vulnerable_table_control()'::regprocedure]) -> 'results' ->> 'tests.vulnerable_table_control()()',
  'control: a definer reading an unqualified table answers differently with the shadow tables planted (the comparison catches it)');

/** --- Every definer and definer trigger, as each API role --- */
select is((select result ->> 'hits' from probes where actor = a.actor and planted), '0',
  format('as %s: no definer and no definer trigger ran the planted code as another role', a.actor))
from unnest(array['anon', 'owner_a', 'outsider', 'svc']) a(actor);
select is((select result -> 'results' from probes where actor = a.actor and planted),
          (select result -> 'results' from probes where actor = a.actor and not planted),
  format('as %s: every definer result, error and trigger outcome is the same with the shadows planted', a.actor))
from unnest(array['anon', 'owner_a', 'outsider', 'svc']) a(actor);
select ok((select count(*) from probes p, jsonb_each_text(p.result -> 'results') r where p.actor = 'owner_a' and r.value like 'ok%') > 10,
  'as owner_a: many of the calls and writes succeed (the comparison is not between two lists of errors)');
select ok((select count(*) from probes p, jsonb_each_text(p.result -> 'results') r
           where p.actor = a.actor and p.planted and r.key like 'insert into %' and r.value ~ '^ok:[1-9]') >= 2,
  format('as %s: inserts through the definer triggers succeed with the shadows planted', a.actor))
from unnest(array['owner_a', 'svc']) a(actor);
select ok((select result -> 'results' ->> ('private.accept_team_invitation(uuid)(''' || tests.fid('team_invitations', 'A') || '''::pg_catalog.uuid)')
           from probes where actor = 'outsider' and planted) = 'ok',
  'as the invitee: accepting an invitation (a definer writing memberships) ran with the shadows planted');

/** --- Catalog rules: a migration adding an unsafe definer fails here --- */
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}') from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and p.prosecdef
     and not exists (select from unnest(coalesce(p.proconfig, '{}')) c
                     where c like 'search_path=%' and c ~ '(^search_path=|, )pg_temp$' and c !~ '"')),
  '{}'::text[], 'every security-definer function in public and private sets search_path with pg_temp explicitly last');
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}') from pg_proc p
   where p.pronamespace = 'private'::regnamespace
     and not exists (select from unnest(coalesce(p.proconfig, '{}')) c where c = 'search_path=pg_catalog, pg_temp')),
  '{}'::text[], 'every function in private (invokers run as the definer when a definer calls them) has search_path pg_catalog, pg_temp');
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}') from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and p.prosecdef
     and p.prosrc ~* 'auth\s*\.\s*"?(uid|jwt|role|email)"?\s*\('),
  '{}'::text[], 'no security-definer function calls auth.uid(), auth.jwt(), auth.role() or auth.email()');
select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}') from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace) and p.prosecdef
     and (has_function_privilege('public', p.oid, 'execute') or obj_description(p.oid, 'pg_proc') is null)),
  '{}'::text[], 'every security-definer function is revoked from PUBLIC and has a comment');
select is(
  (select coalesce(array_agg(format('%s.%s', c.relname, p.polname) order by 1), '{}')
   from pg_policy p join pg_class c on c.oid = p.polrelid
   where c.relnamespace = 'public'::regnamespace
     and (coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')) ~ 'auth\.'),
  '{}'::text[], 'no policy calls the platform''s auth.* functions (one identity source: private.uid() and friends)');

/** --- TEMPORARY on the database --- */
-- Revoking needs the database owner's rights: hosted projects (and the local stack emulating them) make
-- postgres the owner; elsewhere the migration leaves TEMP as it was and says so.
select case when (select datdba from pg_database where datname = current_database()) = 'postgres'::regrole
  then is((select coalesce(array_agg(role_name order by role_name), '{}') from temp_at_start where has_temp), '{}'::text[],
          'no API role may create temporary objects (TEMPORARY revoked from PUBLIC, kept for postgres)')
  else skip('the database is not owned by postgres here, so TEMPORARY could not be revoked from PUBLIC', 1) end;

select * from finish();
rollback;
