/**
 * CryoProtect: query monitoring (issue 13, item 1, SQL side)
 * ---------------------------------------------------------------------------------------------------------
 * Schema `monitoring`, for operators only: no API role (anon, authenticated, cryo_service, cryo_api,
 * service_role) has USAGE on it, and it is not in the Data API's schemas. Its objects are used by the NOLOGIN
 * role `cryo_monitor`, granted to `postgres` (so the admin connection has it); a login role of an operator
 * would be given `cryo_monitor` too.
 *   monitoring.statements (+ top_by_total_time, top_by_mean_time, top_by_calls, top_by_rows, cache_misses)
 *       pg_stat_statements of this database, texts read through a definer (postgres holds pg_read_all_stats)
 *   monitoring.reset_statements(queryid)  the statistics back to zero (all, or one statement)
 *   monitoring.explain_as(role, claims, sql, analyze)  EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) as an API role
 *       with the given JWT claims, always rolled back
 *   monitoring.explain_hypothetical(role, claims, sql, indexes)  the plan without and with hypopg indexes
 *   monitoring.slow_statements + capture_slow_statements()  statements over a mean-time threshold with a
 *       sampled generic plan, every 10 minutes by pg_cron; kept 30 days
 *   monitoring.find_statements(text)  the statistics of a statement the functions logged as slow
 * auto_explain is preloaded on hosted projects (postgres may set auto_explain.log_min_duration), but it
 * writes plans to the server log, which SQL cannot read: the record here samples pg_stat_statements instead.
 * docs/monitoring.md describes the whole; supabase/tests/database/60-query-monitoring.sql proves it.
 */

create extension if not exists pg_stat_statements with schema extensions;

/** --- Role and schema --- */
do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'cryo_monitor') then
    create role cryo_monitor nologin noinherit nobypassrls;
  end if;
end
$$;
comment on role cryo_monitor is
  'Query monitoring (schema monitoring): statement statistics, EXPLAIN as an API role, the slow-statement record. Granted to operators, never to an API role.';
grant cryo_monitor to postgres;

create schema if not exists monitoring;
comment on schema monitoring is
  'Query monitoring for operators (role cryo_monitor). Never exposed to the Data API; no API role has usage.';
revoke all on schema monitoring from public;
do $$
declare
  r pg_catalog.text;
begin
  foreach r in array array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role'] loop
    if exists (select from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('revoke all on schema monitoring from %I', r);
    end if;
  end loop;
end
$$;
grant usage on schema monitoring to cryo_monitor;

/**
 * hypopg in `monitoring`, where no API role can reach its functions (the extension grants EXECUTE to
 * PUBLIC, and on hosted projects only its owner supabase_admin could take that back). A project that
 * already has it elsewhere (Studio's index advisor puts it in `extensions`) keeps it there; the functions
 * below look its schema up.
 */
create extension if not exists hypopg with schema monitoring;

/** --- Statement statistics --- */

/**
 * monitoring.stat_statements() returns setof extensions.pg_stat_statements
 * The rows of pg_stat_statements for this database with their texts. Security definer because the
 * extension shows other roles' texts only to members of pg_read_all_stats, checked against the role that
 * runs the function (a view's owner does not count): postgres has it, cryo_monitor need not.
 */
create or replace function monitoring.stat_statements()
returns setof extensions.pg_stat_statements
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select s.* from extensions.pg_stat_statements s
  where s.dbid = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
$$;
comment on function monitoring.stat_statements() is
  'pg_stat_statements of this database, texts included (definer: postgres reads all stats). Operators only (cryo_monitor).';
revoke execute on function monitoring.stat_statements() from public;
grant execute on function monitoring.stat_statements() to cryo_monitor;

/**
 * monitoring.statements: one row per (role, statement) of this database in pg_stat_statements.
 *   role_name    the role the statement ran as (the SET ROLE of the request: anon, authenticated, ...)
 *   *_ms         milliseconds; mean/max/stddev per call
 *   hit_ratio    shared-buffer hits / (hits + reads), null when the statement touched no shared buffer
 *   query        the normalized text ($n for constants)
 */
create view monitoring.statements as
select
  s.queryid,
  s.userid::pg_catalog.regrole::pg_catalog.text as role_name,
  s.toplevel,
  s.calls,
  pg_catalog.round(s.total_exec_time::pg_catalog.numeric, 3) as total_ms,
  pg_catalog.round(s.mean_exec_time::pg_catalog.numeric, 3) as mean_ms,
  pg_catalog.round(s.max_exec_time::pg_catalog.numeric, 3) as max_ms,
  pg_catalog.round(s.stddev_exec_time::pg_catalog.numeric, 3) as stddev_ms,
  pg_catalog.round(s.mean_plan_time::pg_catalog.numeric, 3) as mean_plan_ms,
  s.rows,
  pg_catalog.round(s.rows::pg_catalog.numeric / greatest(s.calls, 1), 2) as rows_per_call,
  s.shared_blks_hit,
  s.shared_blks_read,
  pg_catalog.round(s.shared_blks_hit::pg_catalog.numeric / nullif(s.shared_blks_hit + s.shared_blks_read, 0), 4) as hit_ratio,
  s.temp_blks_written,
  s.query
from monitoring.stat_statements() as s;
comment on view monitoring.statements is
  'pg_stat_statements of this database: calls, times (ms), rows and shared-buffer hit ratio per role and statement.';

create view monitoring.top_by_total_time as
select * from monitoring.statements order by total_ms desc limit 50;
comment on view monitoring.top_by_total_time is 'The 50 statements with the most total execution time.';

create view monitoring.top_by_mean_time as
select * from monitoring.statements order by mean_ms desc limit 50;
comment on view monitoring.top_by_mean_time is 'The 50 statements with the highest mean execution time.';

create view monitoring.top_by_calls as
select * from monitoring.statements order by calls desc limit 50;
comment on view monitoring.top_by_calls is 'The 50 most called statements.';

create view monitoring.top_by_rows as
select * from monitoring.statements order by rows desc limit 50;
comment on view monitoring.top_by_rows is 'The 50 statements that returned or changed the most rows.';

create view monitoring.cache_misses as
select * from monitoring.statements where shared_blks_read > 0 order by hit_ratio asc, shared_blks_read desc limit 50;
comment on view monitoring.cache_misses is 'The 50 statements with the lowest shared-buffer hit ratio (those that read from disk or the OS cache).';

revoke all on monitoring.statements, monitoring.top_by_total_time, monitoring.top_by_mean_time, monitoring.top_by_calls,
monitoring.top_by_rows, monitoring.cache_misses from public;
grant select on monitoring.statements, monitoring.top_by_total_time, monitoring.top_by_mean_time, monitoring.top_by_calls,
monitoring.top_by_rows, monitoring.cache_misses to cryo_monitor;

/**
 * monitoring.reset_statements(p_queryid bigint default null) returns void
 * Resets pg_stat_statements for this database: every statement, or the one with that queryid. Security
 * definer (owner postgres, which may execute pg_stat_statements_reset) so cryo_monitor needs no grant on the
 * extension itself.
 */
create or replace function monitoring.reset_statements(p_queryid pg_catalog.int8 default null)
returns void
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  perform extensions.pg_stat_statements_reset(
    0, (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()), coalesce(p_queryid, 0));
end
$$;
comment on function monitoring.reset_statements(pg_catalog.int8) is
  'Resets pg_stat_statements of this database (every statement, or one queryid). Operators only (cryo_monitor).';
revoke execute on function monitoring.reset_statements(pg_catalog.int8) from public;
grant execute on function monitoring.reset_statements(pg_catalog.int8) to cryo_monitor;

/** --- EXPLAIN as a caller --- */

/**
 * monitoring.explain_as(p_role text, p_claims jsonb, p_sql text, p_analyze boolean default true) returns jsonb
 * The plan of ONE statement run as the API role `p_role` (anon | authenticated | cryo_service) with
 * `p_claims` as request.jwt.claims — the way PostgREST and the functions' database module run a request
 * (transaction-local role and claims, search_path pg_catalog, public, extensions, pg_temp) — as EXPLAIN
 * (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON), or EXPLAIN (VERBOSE, FORMAT JSON) when p_analyze is false (VERBOSE:
 * each node's Output names the helper an InitPlan calls). Returns the JSON
 * array EXPLAIN prints. The claims get "role": p_role when they have none; a different role is refused.
 *
 * Everything the statement did is rolled back: it runs in a subtransaction (a plpgsql block) that always
 * ends by raising, so its writes, audit events, locks and settings (role and claims included) are undone
 * before this returns (sequences advanced by it stay advanced, as after any rollback).
 *
 * Why not security definer: Postgres refuses SET ROLE inside one. So it runs with the caller's rights, and
 * EXECUTE is granted to cryo_monitor only (no API role has USAGE on the schema either). Whatever the
 * statement tries (set_config('role', ...), SET SESSION AUTHORIZATION through set_config), Postgres checks
 * role switches against the SESSION user, so it can never reach a role the calling session could not
 * already use; a statement that ends with another role or session user than p_role is refused.
 *
 * Refused (SQLSTATE): 22023 a role outside the three, claims that are not an object, a role claim other
 * than p_role, empty SQL; 42601 more than one statement or a statement EXPLAIN cannot run; 55000 analyze
 * without a statement_timeout between 1 ms and 5 min in force (Postgres arms the timer once per top-level
 * statement, so a function cannot shorten its own: set it first, e.g. `set statement_timeout = '30s'`);
 * 42501 a statement that changed its role; any error of the statement itself, as raised.
 */
create or replace function monitoring.explain_as(
  p_role pg_catalog.text, p_claims pg_catalog.jsonb, p_sql pg_catalog.text, p_analyze pg_catalog.bool default true
)
returns pg_catalog.jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  claims pg_catalog.jsonb := coalesce(p_claims, '{}'::pg_catalog.jsonb);
  stmt pg_catalog.text := pg_catalog.btrim(coalesce(p_sql, ''), E' \t\r\n;');
  timeout_ms pg_catalog.int8 := (select s.setting::pg_catalog.int8 from pg_catalog.pg_settings s where s.name = 'statement_timeout');
  caller_session pg_catalog.text := session_user;
  plan pg_catalog.json;
  finished pg_catalog.bool := false;
begin
  if p_role is null or p_role not in ('anon', 'authenticated', 'cryo_service') then
    raise exception 'explain_as: role must be anon, authenticated or cryo_service' using errcode = '22023';
  end if;
  if pg_catalog.jsonb_typeof(claims) <> 'object' then
    raise exception 'explain_as: claims must be a JSON object' using errcode = '22023';
  end if;
  if claims ? 'role' and claims ->> 'role' is distinct from p_role then
    raise exception 'explain_as: the claims'' role (%) is not %', claims ->> 'role', p_role using errcode = '22023';
  end if;
  claims := claims || pg_catalog.jsonb_build_object('role', p_role);
  if stmt = '' then
    raise exception 'explain_as: no SQL given' using errcode = '22023';
  end if;
  if p_analyze and (timeout_ms <= 0 or timeout_ms > 300000) then
    raise exception 'explain_as: EXPLAIN ANALYZE runs the statement; set a statement_timeout first (1 ms to 5 min), e.g. set statement_timeout = ''30s'''
      using errcode = '55000';
  end if;
  begin
    perform pg_catalog.set_config('search_path', 'pg_catalog, public, extensions, pg_temp', true);
    perform pg_catalog.set_config('request.jwt.claims', claims::pg_catalog.text, true);
    perform pg_catalog.set_config('role', p_role, true);
    -- A cursor over the EXPLAIN: Postgres refuses to open one over more than one statement (34000), before
    -- anything runs.
    for plan in execute (case when p_analyze then 'explain (analyze, buffers, verbose, format json) ' else 'explain (verbose, format json) ' end) || stmt loop
      null;
    end loop;
    finished := true;
    if current_user::pg_catalog.text <> p_role or pg_catalog.current_setting('role') <> p_role or session_user::pg_catalog.text <> caller_session then
      raise exception 'explain_as: the statement changed its role (now %, session %): refused', current_user, session_user
        using errcode = '42501';
    end if;
    -- The only way out of this block: the subtransaction rolls back everything the statement did.
    raise exception 'explain_as: rollback' using errcode = 'CRYRB';
  exception
    when sqlstate 'CRYRB' then
      if not finished then
        raise;
      end if;
    when invalid_cursor_definition then
      raise exception 'explain_as: exactly one statement please (%)', sqlerrm using errcode = '42601';
  end;
  return plan::pg_catalog.jsonb;
end
$$;
comment on function monitoring.explain_as(pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.bool) is
  'EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) of one statement as anon/authenticated/cryo_service with the given JWT claims, always rolled back. Operators only (cryo_monitor).';
revoke execute on function monitoring.explain_as(pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.bool) from public;
grant execute on function monitoring.explain_as(pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.bool) to cryo_monitor;

/**
 * monitoring.explain_hypothetical(p_role text, p_claims jsonb, p_sql text, p_indexes text[]) returns jsonb
 * "Would an index help?": {"before": <plan>, "after": <plan>, "indexes": [{"indexrelid", "indexname",
 * "definition"}]}, both plans EXPLAIN (FORMAT JSON) as in explain_as (not ANALYZE: hypopg's indexes exist
 * only for the planner), `after` with each `create index ...` of p_indexes made hypothetical by hypopg.
 * The hypothetical indexes are dropped before it returns, also on error (they live in this backend's
 * memory, outside any transaction). Refused: 55000 when hypopg is not installed; 22023 no index given;
 * hypopg's own error for a statement it cannot read.
 */
create or replace function monitoring.explain_hypothetical(
  p_role pg_catalog.text, p_claims pg_catalog.jsonb, p_sql pg_catalog.text, p_indexes pg_catalog.text []
)
returns pg_catalog.jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  hypo_schema pg_catalog.text := (select n.nspname::pg_catalog.text from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
                                  where e.extname = 'hypopg');
  before_plan pg_catalog.jsonb;
  after_plan pg_catalog.jsonb;
  made pg_catalog.jsonb := '[]'::pg_catalog.jsonb;
  ids pg_catalog.oid[] := '{}'::pg_catalog.oid[];
  ddl pg_catalog.text;
  hypo_id pg_catalog.oid;
  hypo_name pg_catalog.text;
begin
  if hypo_schema is null then
    raise exception 'explain_hypothetical: the hypopg extension is not installed' using errcode = '55000';
  end if;
  if coalesce(pg_catalog.cardinality(p_indexes), 0) = 0 then
    raise exception 'explain_hypothetical: give at least one "create index ..." statement' using errcode = '22023';
  end if;
  before_plan := monitoring.explain_as(p_role, p_claims, p_sql, false);
  begin
    foreach ddl in array p_indexes loop
      execute pg_catalog.format('select h.indexrelid, h.indexname::pg_catalog.text from %I.hypopg_create_index($1) h', hypo_schema)
        into hypo_id, hypo_name using ddl;
      ids := ids || hypo_id;
      made := made || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('indexrelid', hypo_id, 'indexname', hypo_name,
                                                                                'definition', ddl));
    end loop;
    after_plan := monitoring.explain_as(p_role, p_claims, p_sql, false);
  exception when others then
    perform monitoring.drop_hypothetical(hypo_schema, ids);
    raise;
  end;
  perform monitoring.drop_hypothetical(hypo_schema, ids);
  return pg_catalog.jsonb_build_object('before', before_plan, 'after', after_plan, 'indexes', made);
end
$$;
comment on function monitoring.explain_hypothetical(pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.text []) is
  'EXPLAIN (FORMAT JSON) as an API role without and with hypothetical (hypopg) indexes: {before, after, indexes}. Operators only (cryo_monitor).';
revoke execute on function monitoring.explain_hypothetical(pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.text []) from public;
grant execute on function monitoring.explain_hypothetical(pg_catalog.text, pg_catalog.jsonb, pg_catalog.text, pg_catalog.text []) to cryo_monitor;

/** monitoring.drop_hypothetical(schema text, ids oid[]) returns void: drops those hypopg indexes (internal). */
create or replace function monitoring.drop_hypothetical(p_schema pg_catalog.text, p_ids pg_catalog.oid [])
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  i pg_catalog.oid;
begin
  foreach i in array coalesce(p_ids, '{}') loop
    execute pg_catalog.format('select %I.hypopg_drop_index($1)', p_schema) using i;
  end loop;
end
$$;
comment on function monitoring.drop_hypothetical(pg_catalog.text, pg_catalog.oid []) is 'Internal: drops the given hypopg indexes of this backend.';
revoke execute on function monitoring.drop_hypothetical(pg_catalog.text, pg_catalog.oid []) from public;
grant execute on function monitoring.drop_hypothetical(pg_catalog.text, pg_catalog.oid []) to cryo_monitor;

/** --- The slow-statement record --- */

/**
 * monitoring.slow_statements: a sample of statements whose mean time was over the threshold when captured.
 *   threshold_ms  the threshold of that capture; the other numbers as in monitoring.statements then
 *   plan          EXPLAIN (FORMAT JSON) of the statement's generic plan (its $n unknown) as its role with
 *                 empty claims, or null with plan_error saying why (not an API role, not a plannable
 *                 statement, ...). A policy's InitPlans show in it whatever the claims.
 * Kept 30 days (pg_cron, daily).
 */
create table monitoring.slow_statements (
  id pg_catalog.int8 generated always as identity primary key,
  captured_at pg_catalog.timestamptz not null default pg_catalog.now(),
  threshold_ms pg_catalog.numeric not null,
  queryid pg_catalog.int8 not null,
  role_name pg_catalog.text not null,
  calls pg_catalog.int8 not null,
  mean_ms pg_catalog.numeric not null,
  max_ms pg_catalog.numeric not null,
  total_ms pg_catalog.numeric not null,
  rows_per_call pg_catalog.numeric,
  hit_ratio pg_catalog.numeric,
  query pg_catalog.text not null,
  plan pg_catalog.jsonb,
  plan_error pg_catalog.text
);
comment on table monitoring.slow_statements is
  'Statements whose mean time exceeded the threshold, with a sampled generic plan; captured by pg_cron every 10 minutes, kept 30 days.';
create index slow_statements_captured_at_idx on monitoring.slow_statements (captured_at);
create index slow_statements_queryid_idx on monitoring.slow_statements (queryid, captured_at);
revoke all on monitoring.slow_statements from public;
grant select, insert on monitoring.slow_statements to cryo_monitor;

/**
 * monitoring.generic_plan(p_role text, p_query text) returns jsonb
 * The generic plan (EXPLAIN (VERBOSE, FORMAT JSON), not executed) of a normalized pg_stat_statements text,
 * whose constants are $n: prepared under a name of its own, explained as `execute <name>(null, ...)` through
 * explain_as with plan_cache_mode = force_generic_plan (so the nulls do not shape the plan), deallocated
 * whatever happens. The text was sent by an API role, so it is treated as hostile: refused (22023) when it holds
 * a `;` outside literals, quoted names and comments (plpgsql's EXECUTE would run a second statement), and
 * PREPAREd as p_role with the functions' search_path inside a block that is rolled back (a prepared statement
 * outlives it), so parsing it never uses more than that role's rights.
 */
create or replace function monitoring.generic_plan(p_role pg_catalog.text, p_query pg_catalog.text)
returns pg_catalog.jsonb
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
  stmt_name pg_catalog.text := 'cryo_monitor_' || pg_catalog.md5(pg_catalog.clock_timestamp()::pg_catalog.text || pg_catalog.random()::pg_catalog.text);
  stmt pg_catalog.text := pg_catalog.rtrim(coalesce(p_query, ''), E' \t\r\n;');
  bare pg_catalog.text;
  nparams pg_catalog.int4;
  plan pg_catalog.jsonb;
begin
  if p_role is null or p_role not in ('anon', 'authenticated', 'cryo_service') then
    raise exception 'generic_plan: role must be anon, authenticated or cryo_service' using errcode = '22023';
  end if;
  -- One left-to-right pass takes literals, quoted names and comments out (the leftmost match wins, as in the
  -- parser; where the parser's token is longer, as for E'' escapes or nested comments, what remains is refused);
  -- then no `;`, quote, comment mark or dollar quote may remain.
  bare := pg_catalog.regexp_replace(stmt, $r$'([^']|'')*'|"([^"]|"")*"|--[^\n]*|/\*([^*]|\*+[^*/])*\*+/$r$, ' ', 'g');
  if stmt = '' or bare ~ $r$[;'"]|/\*|\*/|\$([^0-9]|$)$r$ then
    raise exception 'generic_plan: not a single statement' using errcode = '22023';
  end if;
  begin
    perform pg_catalog.set_config('search_path', 'pg_catalog, public, extensions, pg_temp', true);
    perform pg_catalog.set_config('role', p_role, true);
    execute pg_catalog.format('prepare %I as %s', stmt_name, stmt);
    raise exception 'generic_plan: rollback' using errcode = 'CRYRB';
  exception when sqlstate 'CRYRB' then
    null;
  end;
  begin
    select coalesce(pg_catalog.cardinality(p.parameter_types), 0) into nparams from pg_catalog.pg_prepared_statements p where p.name = stmt_name;
    plan := monitoring.explain_as(p_role, '{}', pg_catalog.format('execute %I%s', stmt_name,
      case when nparams > 0 then '(' || pg_catalog.array_to_string(pg_catalog.array_fill('null'::pg_catalog.text, array[nparams]), ', ') || ')' else '' end), false);
  exception when others then
    execute pg_catalog.format('deallocate %I', stmt_name);
    raise;
  end;
  execute pg_catalog.format('deallocate %I', stmt_name);
  return plan;
end
$$;
comment on function monitoring.generic_plan(pg_catalog.text, pg_catalog.text) is
  'Internal: the generic plan of a normalized statement text ($n parameters) as an API role, not executed; one statement only.';
revoke execute on function monitoring.generic_plan(pg_catalog.text, pg_catalog.text) from public;
grant execute on function monitoring.generic_plan(pg_catalog.text, pg_catalog.text) to cryo_monitor;

/**
 * monitoring.capture_slow_statements(p_threshold_ms numeric default 100, p_max int default 20) returns int
 * Records up to p_max statements of monitoring.statements whose mean time is at least p_threshold_ms (ms),
 * slowest first, skipping a (queryid, role) recorded in the last 24 hours; each with its generic plan when
 * it ran as an API role and is a SELECT/INSERT/UPDATE/DELETE/WITH (else plan_error says why). Returns how
 * many it recorded. Every 10 minutes by pg_cron; cryo_monitor may run it any time. Not a security definer:
 * the plans need SET ROLE (see explain_as), so cryo_monitor inserts into the record itself.
 */
create or replace function monitoring.capture_slow_statements(p_threshold_ms pg_catalog.numeric default 100, p_max pg_catalog.int4 default 20)
returns pg_catalog.int4
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  s record;
  plan pg_catalog.jsonb;
  err pg_catalog.text;
  n pg_catalog.int4 := 0;
begin
  if p_threshold_ms is null or p_threshold_ms < 0 or p_max is null or p_max < 1 or p_max > 1000 then
    raise exception 'capture_slow_statements: threshold >= 0 ms and 1 <= max <= 1000' using errcode = '22023';
  end if;
  for s in
    select st.* from monitoring.statements st
    where st.mean_ms >= p_threshold_ms and st.queryid is not null
      and not exists (select from monitoring.slow_statements x
                      where x.queryid = st.queryid and x.role_name = st.role_name and x.captured_at > pg_catalog.now() - interval '24 hours')
    order by st.mean_ms desc
    limit p_max
  loop
    plan := null;
    err := null;
    if s.role_name not in ('anon', 'authenticated', 'cryo_service') then
      err := 'ran as ' || s.role_name || ': plans are sampled for the API roles only';
    elsif s.query !~* '^\s*(select|insert|update|delete|with)\M' then
      err := 'not a plannable statement';
    else
      begin
        plan := monitoring.generic_plan(s.role_name, s.query);
      exception when others then
        err := pg_catalog.left(sqlstate || ': ' || sqlerrm, 500);
      end;
    end if;
    insert into monitoring.slow_statements (threshold_ms, queryid, role_name, calls, mean_ms, max_ms, total_ms, rows_per_call, hit_ratio,
                                            query, plan, plan_error)
    values (p_threshold_ms, s.queryid, s.role_name, s.calls, s.mean_ms, s.max_ms, s.total_ms, s.rows_per_call, s.hit_ratio, s.query, plan, err);
    n := n + 1;
  end loop;
  return n;
end
$$;
comment on function monitoring.capture_slow_statements(pg_catalog.numeric, pg_catalog.int4) is
  'Records statements whose mean time >= threshold (ms) with a sampled generic plan; returns how many. pg_cron every 10 minutes; operators only.';
revoke execute on function monitoring.capture_slow_statements(pg_catalog.numeric, pg_catalog.int4) from public;
grant execute on function monitoring.capture_slow_statements(pg_catalog.numeric, pg_catalog.int4) to cryo_monitor;

/**
 * monitoring.statement_skeleton(text) returns text
 * A statement text with every string literal, number and $n parameter replaced by `?` and whitespace
 * collapsed: the same for the text the functions send (values as current_setting('cryo.pN') references)
 * and the normalized text pg_stat_statements keeps (constants as $n). A literal cut off at the end (a
 * truncated log line) is dropped.
 */
create or replace function monitoring.statement_skeleton(p_text pg_catalog.text)
returns pg_catalog.text
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.btrim(pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace(
    pg_catalog.regexp_replace(p_text, '''([^'']|'''')*''|\$[0-9]+|\m[0-9]+(\.[0-9]+)?\M', '?', 'g'),
    '''[^'']*$', ''), '…$', ''), '\s+', ' ', 'g'))
$$;
comment on function monitoring.statement_skeleton(pg_catalog.text) is
  'A statement text with literals, numbers and $n as ? and whitespace collapsed (matches logged texts to pg_stat_statements).';
revoke execute on function monitoring.statement_skeleton(pg_catalog.text) from public;
grant execute on function monitoring.statement_skeleton(pg_catalog.text) to cryo_monitor;

/**
 * monitoring.find_statements(p_text text) returns setof monitoring.statements
 * The statistics of a statement as the functions' "slow transaction" log line shows it (`statements`:
 * each text as sent, whitespace collapsed, cut at 300 characters): every entry whose skeleton starts with
 * the given text's skeleton. Its queryid then finds the captured plans in monitoring.slow_statements.
 */
create or replace function monitoring.find_statements(p_text pg_catalog.text)
returns setof monitoring.statements
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select s.* from monitoring.statements s
  where pg_catalog.starts_with(monitoring.statement_skeleton(s.query), monitoring.statement_skeleton(p_text))
    and monitoring.statement_skeleton(p_text) <> ''
  order by s.total_ms desc
$$;
comment on function monitoring.find_statements(pg_catalog.text) is
  'The pg_stat_statements entries of a statement text from the functions'' slow-transaction log. Operators only (cryo_monitor).';
revoke execute on function monitoring.find_statements(pg_catalog.text) from public;
grant execute on function monitoring.find_statements(pg_catalog.text) to cryo_monitor;

/** --- Schedules --- */
select cron.schedule('monitoring-capture-slow-statements', '*/10 * * * *',
                     $$select monitoring.capture_slow_statements(100, 20)$$);
select cron.schedule('monitoring-purge-slow-statements', '47 3 * * *',
                     $$delete from monitoring.slow_statements where captured_at < now() - interval '30 days'$$);
