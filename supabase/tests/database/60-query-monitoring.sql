/**
 * Query monitoring (issue 13, item 1, SQL side): schema `monitoring`, role cryo_monitor, migration
 * 20261130060000. explain_as runs one statement as an API role with the given claims and keeps nothing of
 * it; only cryo_monitor (and postgres, which has it) may use any of it; the statistics and the slow-statement
 * record are out of every API role's reach; the record is captured and purged by pg_cron. docs/monitoring.md.
 * Fixture: tests.access_fixture() (acc_viewer_a and acc_editor_a in team A, acc_outsider in none).
 */
begin;
select plan(64);
select tests.access_fixture();
set local statement_timeout = '60s';

create temporary table claims_of as
select actor, jsonb_build_object('sub', tests.get_supabase_uid('acc_' || actor), 'role', 'authenticated', 'aud', 'authenticated',
                                 'email', 'acc_' || actor || '@test.local') as claims
from unnest(array['viewer_a', 'editor_a', 'outsider']) actor;
create function pg_temp.claims(actor text) returns jsonb language sql as $$ select claims from claims_of where claims_of.actor = claims.actor $$;
create function pg_temp.actual_rows(plan jsonb) returns int language sql as $$ select (plan -> 0 -> 'Plan' ->> 'Actual Rows')::int $$;
create function pg_temp.team_a_molecules() returns text language sql as
$$ select format('select m.id from public.molecules m where m.team_id = %L', tests.fid('teams', 'A')) $$;

/** --- Who may use it --- */
select is(
  (select coalesce(array_agg(r order by r), '{}') from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role']) r
   where has_schema_privilege(r, 'monitoring', 'usage')),
  '{}'::text[], 'no API role has usage on schema monitoring');
select is(
  (select coalesce(array_agg(format('%s: %s', r, c.relname) order by 1), '{}')
   from pg_class c cross join unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role']) r
   where c.relnamespace = 'monitoring'::regnamespace and c.relkind in ('r', 'v', 'm')
     and has_table_privilege(r, c.oid, 'select, insert, update, delete')),
  '{}'::text[], 'no API role holds any privilege on a table or view of monitoring');
select is(
  (select coalesce(array_agg(format('%s: %s', r, p.oid::regprocedure) order by 1), '{}')
   from pg_proc p cross join unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role']) r
   where p.pronamespace = 'monitoring'::regnamespace and has_function_privilege(r, p.oid, 'execute')
     and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')),
  '{}'::text[], 'no API role may execute a function of ours in monitoring');
select is(
  (select coalesce(array_agg(r order by r), '{}') from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role']) r
   where pg_has_role(r, 'cryo_monitor', 'member')),
  '{}'::text[], 'no API role is a member of cryo_monitor');
select ok((select not rolcanlogin and not rolsuper and not rolbypassrls from pg_roles where rolname = 'cryo_monitor'),
  'cryo_monitor is NOLOGIN, not superuser, not BYPASSRLS');
select ok(pg_has_role('postgres', 'cryo_monitor', 'member'), 'postgres (the admin connection) has cryo_monitor');
select is(
  (select coalesce(array_agg(n.nspname::text), '{}') from pg_namespace n where n.nspname = 'monitoring'
   and n.nspname = any(string_to_array(coalesce(nullif(current_setting('pgrst.db_schemas', true), ''), 'public'), ','))),
  '{}'::text[], 'monitoring is not one of the Data API''s schemas');

-- as anon, authenticated, cryo_service
select is(left(tests.error_as('anon', '{}', $$select monitoring.explain_as('anon', '{}', 'select 1')$$), 5), '42501',
  'anon cannot call explain_as');
select is(left(tests.error_as('authenticated', pg_temp.claims('viewer_a'), $$select monitoring.explain_as('anon', '{}', 'select 1')$$), 5), '42501',
  'authenticated cannot call explain_as');
select is(left(tests.error_as('cryo_service', '{"scope": "molecules:read"}', $$select monitoring.explain_as('anon', '{}', 'select 1')$$), 5), '42501',
  'cryo_service cannot call explain_as');
select is(left(tests.error_as('authenticated', pg_temp.claims('viewer_a'), 'select count(*) from monitoring.statements'), 5), '42501',
  'authenticated cannot read the statement statistics');
select is(left(tests.error_as('anon', '{}', 'select count(*) from monitoring.top_by_total_time'), 5), '42501',
  'anon cannot read the top-by-total-time view');
select is(left(tests.error_as('cryo_service', '{"scope": "molecules:read"}', 'select count(*) from monitoring.slow_statements'), 5), '42501',
  'cryo_service cannot read the slow-statement record');
select is(left(tests.error_as('authenticated', pg_temp.claims('viewer_a'), 'select monitoring.reset_statements()'), 5), '42501',
  'authenticated cannot reset the statistics');
select is(left(tests.error_as('anon', '{}', 'select monitoring.capture_slow_statements(0, 1)'), 5), '42501',
  'anon cannot run a capture');

-- as cryo_monitor (the results are kept in settings: pgTAP itself is not cryo_monitor's)
select set_config('tests.team_a_sql', pg_temp.team_a_molecules(), true), set_config('tests.viewer_claims', pg_temp.claims('viewer_a')::text, true);
set local role cryo_monitor;
select set_config('tests.monitor_rows', (select count(*) from monitoring.statements)::text, true),
       set_config('tests.monitor_texts', (select count(*) from monitoring.statements where query <> '<insufficient privilege>' and role_name <> 'cryo_monitor')::text, true),
       set_config('tests.monitor_explain', (monitoring.explain_as('authenticated', current_setting('tests.viewer_claims')::jsonb, current_setting('tests.team_a_sql')) -> 0 -> 'Plan' ->> 'Actual Rows'), true);
reset role;
select ok(current_setting('tests.monitor_rows')::int > 0, 'cryo_monitor reads the statement statistics');
select ok(current_setting('tests.monitor_texts')::int > 0, 'with the text of other roles'' statements');
select is(current_setting('tests.monitor_explain'), '1', 'cryo_monitor may explain as a member of team A');

/** --- Role and claims are honoured --- */
select is(pg_temp.actual_rows(monitoring.explain_as('authenticated', pg_temp.claims('viewer_a'), pg_temp.team_a_molecules())), 1,
  'a member of team A sees its team molecule in the plan''s actual rows');
select is(pg_temp.actual_rows(monitoring.explain_as('authenticated', pg_temp.claims('outsider'), pg_temp.team_a_molecules())), 0,
  'a non-member sees no row of team A');
select is(pg_temp.actual_rows(monitoring.explain_as('anon', '{}', pg_temp.team_a_molecules())), 0,
  'anon sees no row of team A');
select is(pg_temp.actual_rows(monitoring.explain_as('cryo_service', jsonb_build_object('scope', 'molecules:read', 'team_id', tests.fid('teams', 'A')),
                                                    pg_temp.team_a_molecules())), 1,
  'a service client of team A with molecules:read sees it');
select is(monitoring.explain_as('authenticated', pg_temp.claims('viewer_a'), 'select current_user, auth.uid()', true) -> 0 -> 'Plan' ->> 'Node Type', 'Result',
  'the statement text runs with the Data API''s search_path (auth.uid() resolves)');
select is(pg_temp.actual_rows(monitoring.explain_as('authenticated', pg_temp.claims('viewer_a'),
  format('select 1 where current_user = %L and auth.uid() = %L and current_setting(%L)::jsonb ->> %L = %L', 'authenticated',
         tests.get_supabase_uid('acc_viewer_a'), 'request.jwt.claims', 'role', 'authenticated'))), 1,
  'inside, current_user is the role and request.jwt.claims carries the claims with the role added');
select ok(monitoring.explain_as('anon', '{}', 'select 1') -> 0 ? 'Execution Time', 'by default the plan is EXPLAIN ANALYZE (actual times)');
select ok(monitoring.explain_as('anon', '{}', 'select 1') -> 0 -> 'Plan' ? 'Shared Hit Blocks', 'with BUFFERS');
select ok(not (monitoring.explain_as('anon', '{}', 'select 1', false) -> 0 ? 'Execution Time'), 'p_analyze false plans without running');
select is(current_user::text || ' ' || coalesce(current_setting('request.jwt.claims', true), ''), 'postgres ',
  'afterwards the caller is itself again, with no claims');

/** --- Writes are never kept --- */
select ok(monitoring.explain_as('authenticated', pg_temp.claims('editor_a'),
  format('insert into public.molecules (name, smiles, inchikey, source, team_id, visibility) values (%L, %L, %L, %L, %L, %L) returning id',
         'explain probe', 'CO', 'EXPLAINPROBEXX-AAAAAAAAAA-N', 'fixture', tests.fid('teams', 'A'), 'team')) is not null,
  'an editor of team A may explain an insert');
select is((select count(*)::int from public.molecules where name = 'explain probe'), 0, 'the inserted row is not kept');
select is((select count(*)::int from audit.events where table_name = 'public.molecules' and changed -> 'name' ->> 'new' = 'explain probe'), 0,
  'and no audit event of it is kept');
select is(pg_temp.actual_rows(monitoring.explain_as('authenticated', pg_temp.claims('editor_a'),
  format('update public.molecules set name = %L where id = %L', 'explain renamed', tests.fid('molecules', 'A')))), 0,
  'an update through explain_as runs (ModifyTable returns no rows)');
select is((select name from public.molecules where id = tests.fid('molecules', 'A')), 'fixture molecule A', 'the update is not kept');
select is((select count(*)::int from audit.events where changed -> 'name' ->> 'new' = 'explain renamed'), 0, 'nor its audit event');
select ok(monitoring.explain_as('authenticated', pg_temp.claims('editor_a'), format('delete from public.molecules where id = %L', tests.fid('molecules', 'A')))
  is not null, 'a delete through explain_as runs');
select is((select count(*)::int from public.molecules where id = tests.fid('molecules', 'A')), 1, 'the deleted row is still there');

/** --- Refusals and escape attempts --- */
select is(left(tests.error_of($$select monitoring.explain_as('postgres', '{}', 'select 1')$$), 5), '22023', 'only anon, authenticated and cryo_service may be named');
select is(left(tests.error_of($$select monitoring.explain_as('authenticated', '{"role": "postgres"}', 'select 1')$$), 5), '22023',
  'claims naming another role are refused');
select is(left(tests.error_of($$select monitoring.explain_as('anon', '{}', 'select 1; delete from public.molecules')$$), 5), '42601',
  'more than one statement is refused before anything runs');
select is(left(tests.error_of($$select monitoring.explain_as('anon', '{}', 'select 1; reset role')$$), 5), '42601', 'reset role after a statement is refused');
select is(left(tests.error_of($$select monitoring.explain_as('anon', '{}', 'set role postgres')$$), 5), '42601', 'set role cannot be explained');
select is(left(tests.error_of($$select monitoring.explain_as('anon', '{}', 'commit')$$), 5), '42601', 'commit cannot be explained');
select is(left(tests.error_of($$select monitoring.explain_as('anon', '{}', 'select pg_catalog.set_config(''role'', ''postgres'', false)')$$), 5), '42501',
  'a statement that switches itself back to the session''s role is refused');
select is(left(tests.error_of($$select monitoring.explain_as('anon', '{}', 'select pg_catalog.set_config(''session_authorization'', ''postgres'', false)')$$), 5),
  '42501', 'so is one that resets the session authorization');
select is((select coalesce(array_agg(r order by r), '{}') from unnest(array['authenticator', 'cryo_api']) r where pg_has_role(r, 'cryo_monitor', 'member')),
  '{}'::text[], 'no login of the APIs (authenticator, cryo_api) can switch to cryo_monitor');
set local statement_timeout = 0;
select is(left(tests.error_of($$select monitoring.explain_as('anon', '{}', 'select pg_sleep(600)')$$), 5), '55000',
  'EXPLAIN ANALYZE is refused when no statement timeout bounds it');
set local statement_timeout = '60s';

/** --- The slow-statement record --- */
select ok(monitoring.generic_plan('authenticated', 'select m.id from public.molecules m where m.name = $1 limit $2') -> 0 -> 'Plan' ? 'Node Type',
  'a normalized statement text gets its generic plan as its role');
select is(left(tests.error_of($$select monitoring.generic_plan('anon', 'select 1; select pg_catalog.pg_terminate_backend(0)')$$), 5), '22023',
  'a recorded text holding two statements is refused before anything runs');
select is(left(tests.error_of(format('select monitoring.generic_plan(%L, %L)', 'anon', E'select 1 -- it''s\n; select 2')), 5), '22023',
  'also when a comment hides a quote');
select is(left(tests.error_of($$select monitoring.generic_plan('anon', 'select $q$;$q$')$$), 5), '22023', 'dollar quotes are refused');
select is(left(tests.error_of($$select monitoring.generic_plan('postgres', 'select 1')$$), 5), '22023', 'generic plans are made for API roles only');
select is(left(tests.error_of($$select monitoring.generic_plan('anon', 'select count(*) from audit.events')$$), 5), '42501',
  'the text is parsed as its role: anon cannot name the audit schema');
select is((select count(*)::int from pg_prepared_statements where name like 'cryo\_monitor\_%'), 0, 'no prepared statement is left behind');
select is(monitoring.capture_slow_statements(0, 3), 3, 'a capture records the slowest statements over the threshold');
select is((select count(*)::int from monitoring.slow_statements where plan is null and plan_error is null), 0,
  'each with its plan, or the reason it has none');
select is((select schedule from cron.job where jobname = 'monitoring-capture-slow-statements'), '*/10 * * * *', 'pg_cron captures every 10 minutes');
select ok((select command from cron.job where jobname = 'monitoring-purge-slow-statements') ~ 'delete from monitoring.slow_statements where captured_at < now\(\) - interval ''30 days''',
  'and purges records older than 30 days daily');

/** --- From the functions' slow-transaction log to the statistics --- */
-- as authenticated, the way the functions send a statement: its value in a transaction setting
select set_config('cryo.p1', 'fixture molecule A', true);
select tests.authenticate_as('acc_viewer_a');
select count(*) >= 0 as ran from public.molecules m where m.name = (select pg_catalog.current_setting('cryo.p1')::pg_catalog.text) and m.source <> 'monitoring probe';
select tests.clear_authentication();
select is((select count(*)::int from monitoring.find_statements(
  $$select count(*) >= 0 as ran from public.molecules m where m.name = (select pg_catalog.current_setting('cryo.p1')::pg_catalog.text) and m.source <> 'monitoring probe'$$)
  where role_name = 'authenticated'), 1,
  'the text a slow-transaction log line shows finds its pg_stat_statements entry (constants normalized on both sides)');
select is((select count(*)::int from monitoring.find_statements(
  $$select count(*) >= 0 as ran from public.molecules m where m.name = (select pg_catalog.current_setting('cryo.p1')::pg_catalog.text) and m.source <> 'monitor…$$)
  where role_name = 'authenticated'), 1, 'also when the log line cut it off inside a literal');
select is((select count(*)::int from monitoring.find_statements('')), 0, 'an empty text finds nothing');

/** --- Hypothetical indexes (hypopg) --- */
create function pg_temp.hypo_count() returns int language plpgsql as $$
declare n int;
begin
  execute format('select count(*) from %I.hypopg_list_indexes', (select x.nspname from pg_extension e join pg_namespace x on x.oid = e.extnamespace where e.extname = 'hypopg')) into n;
  return n;
end $$;
set local enable_seqscan = off;
create temporary table hypo as
select monitoring.explain_hypothetical('authenticated', pg_temp.claims('viewer_a'), $$select m.id from public.molecules m where m.smiles = 'CO'$$,
                                       array['create index on public.molecules (smiles)']) as r
where exists (select from pg_extension where extname = 'hypopg');
reset enable_seqscan;
select case when exists (select from pg_extension where extname = 'hypopg')
  then is((select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'hypopg'), 'monitoring',
          'hypopg lives in monitoring, where no API role may call its functions')
  else skip('hypopg is not installed on this server (postgresql-15-hypopg)', 1) end;
select case when exists (select from pg_extension where extname = 'hypopg')
  then ok((select (r -> 'after')::text ~ 'btree_molecules_smiles' and (r -> 'before')::text !~ 'btree_molecules_smiles' from hypo),
          'with a hypothetical index on smiles the plan uses it; without, it does not')
  else skip('hypopg is not installed on this server (postgresql-15-hypopg)', 1) end;
select case when exists (select from pg_extension where extname = 'hypopg')
  then is(pg_temp.hypo_count(), 0, 'the hypothetical index is gone afterwards')
  else skip('hypopg is not installed on this server (postgresql-15-hypopg)', 1) end;
select is(left(tests.error_of($$select monitoring.explain_hypothetical('anon', '{}', 'select 1', '{}')$$), 5),
  case when exists (select from pg_extension where extname = 'hypopg') then '22023' else '55000' end,
  'explain_hypothetical wants at least one index (or says hypopg is missing)');

select * from finish();
rollback;
