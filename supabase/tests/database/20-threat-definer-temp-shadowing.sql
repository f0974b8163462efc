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
-- as anon with a team_id claim
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

/** --- The probe (tests.definer_probe and its parts: 00-helpers) --- */
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
