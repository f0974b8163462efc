/**
 * The audit log (issue 9, item 9, SQL side): every registered table carries the audit trigger (attached by
 * the one policy generator), every row change on every one of them leaves exactly one event with the
 * actor (sub, role, client_id, jti, scopes, request id, transaction), the monthly partitions are created
 * ahead and dropped after retention as documented, team owners and audit:read service clients page through
 * their team's events and nobody else sees any, and request_denied events carry the caller's claims.
 * Fixture: tests.access_fixture() (02-access-model.sql).
 */
begin;
select plan(52);

/** --- One place attaches the trigger to every registered table --- */
select is(
  (select coalesce(array_agg(r.table_name::text order by 1), '{}') from private.access_registry r
   where not exists (select from pg_trigger t
                     where t.tgrelid = r.table_name and t.tgfoid = 'audit.record_row_change'::regproc and t.tgenabled = 'O'
                       and t.tgtype & 1 = 1 and t.tgtype & 2 = 0 and t.tgtype & 28 = 28)),
  '{}'::text[], 'every table of private.access_registry has the AFTER INSERT/UPDATE/DELETE row trigger audit.record_row_change');
select ok((select count(*) from private.access_registry) >= 10, 'the registry is not empty (the check above is not vacuous)');
create table public.audit_probe (id uuid primary key default gen_random_uuid(), team_id uuid, visibility text not null default 'team');
select private.apply_access_policies('public.audit_probe', 'molecules');
select ok(exists (select from pg_trigger where tgrelid = 'public.audit_probe'::regclass and tgfoid = 'audit.record_row_change'::regproc),
  'registering a new table through private.apply_access_policies attaches the audit trigger too');
select is((select encode(tgargs, 'escape') from pg_trigger where tgrelid = 'public.audit_probe'::regclass and tgname = 'audit_row_change'),
  E'team_id\\000id\\000', 'with its team column and primary key as arguments (no catalog lookup per row)');
delete from private.access_registry where table_name = 'public.audit_probe'::regclass;
drop table public.audit_probe;

/** --- Every row change of every registered table: exactly one event --- */
create temporary table audit_before as
select format('%s.%s', n.nspname, c.relname) as tbl, 0::bigint as n
from private.access_registry r join pg_class c on c.oid = r.table_name join pg_namespace n on n.oid = c.relnamespace;
do $$
declare t record; c bigint;
begin
  for t in select tbl from audit_before loop
    execute format('select count(*) from %s', t.tbl) into c;
    update audit_before set n = c where tbl = t.tbl;
  end loop;
end $$;
select tests.access_fixture();
insert into public.profiles (id, display_name) values (tests.get_supabase_uid('acc_owner_a'), 'Owner A');
do $$ begin
  perform set_config('cryo.request_id', 'req-bulk', true);
  perform set_config('request.jwt.claims', '{"sub": "tool:bulk", "client_id": "cpc_bulk", "jti": "jti-bulk", "scope": "molecules:write"}', true);
end $$;

create temporary table audit_counts (tbl text primary key, before_rows bigint, rows_now bigint, inserts bigint, updated bigint,
                                     update_events bigint, deleted_all boolean, delete_events bigint, actors text[]);
do $$
declare t record; c bigint; u bigint; ue bigint; de bigint; ins bigint; act text[]; pkcol text;
begin
  for t in select tbl, n from audit_before loop
    execute format('select count(*) from %s', t.tbl) into c;
    select count(*) into ins from audit.events e where e.table_name = t.tbl and e.operation = 'INSERT' and e.txid = txid_current();
    select a.attname into pkcol from pg_index x join pg_attribute a on a.attrelid = x.indrelid and a.attnum = x.indkey[0]
    where x.indrelid = t.tbl::regclass and x.indisprimary;
    execute format('update %s set %I = %I', t.tbl, pkcol, pkcol);
    get diagnostics u = row_count;
    select count(*), array_agg(distinct concat_ws('/', e.actor_sub, e.actor_role, e.client_id, e.jti, array_to_string(e.scopes, ' '), e.request_id))
      into ue, act from audit.events e where e.table_name = t.tbl and e.operation = 'UPDATE' and e.txid = txid_current();
    insert into audit_counts values (t.tbl, t.n, c, ins, u, ue, null, null, act);
  end loop;
end $$;
select is((select array_agg(tbl order by tbl) from audit_counts where inserts <> rows_now - before_rows), null,
  'inserts: every registered table has exactly one INSERT event per row the fixture inserted');
select is((select array_agg(tbl order by tbl) from audit_counts where updated <> update_events or updated = 0), null,
  'updates: every registered table has exactly one UPDATE event per updated row (and every table had rows)');
select is((select array_agg(distinct a) from audit_counts, unnest(actors) a), array['tool:bulk/postgres/cpc_bulk/jti-bulk/molecules:write/req-bulk'],
  'each event names the actor: sub, role in effect, client_id, jti, scopes and the request id of the transaction');

-- Deletes: children first, repeating until every registered table is empty (cascades are row changes too);
-- all of it undone afterwards (the counts survive in plpgsql variables), so the fixture stays for what follows.
do $$
declare t record; rows_before jsonb := '{}'; c bigint; pass int; outcome jsonb := '{}';
begin
  for t in select tbl from audit_counts loop
    execute format('select count(*) from %s', t.tbl) into c;
    rows_before := rows_before || jsonb_build_object(t.tbl, c);
  end loop;
  begin
    for pass in 1 .. 10 loop
      for t in select tbl from audit_counts loop
        begin
          execute format('delete from %s', t.tbl);
        exception when foreign_key_violation then null;
        end;
      end loop;
    end loop;
    for t in select tbl from audit_counts loop
      execute format('select count(*) from %s', t.tbl) into c;
      outcome := outcome || jsonb_build_object(t.tbl, jsonb_build_object('left', c,
        'extra_events', (select count(*) from audit.events e where e.table_name = t.tbl and e.operation = 'DELETE' and e.txid = txid_current())
                        - (rows_before ->> t.tbl)::bigint));
    end loop;
    raise exception 'undo' using errcode = 'TSTUN';
  exception when sqlstate 'TSTUN' then null;
  end;
  update audit_counts a set deleted_all = (outcome -> a.tbl ->> 'left')::bigint = 0, delete_events = (outcome -> a.tbl ->> 'extra_events')::bigint;
end $$;
select is((select array_agg(tbl order by tbl) from audit_counts where not deleted_all or delete_events <> 0), null,
  'deletes: emptying every registered table left exactly one DELETE event per row');
do $$ begin perform set_config('request.jwt.claims', '', true); perform set_config('cryo.request_id', '', true); end $$;

/** --- Actors, changed columns and team of each event --- */
-- Every statement below runs in this one transaction; its own events are those with this txid.
create temporary table audit_mark as select coalesce(max(id), 0) as id from audit.events;

select tests.authenticate_as_role('cryo_service', jsonb_build_object('sub', 'cpc_importeraaaaaaaaaaaaaaa', 'client_id', 'cpc_importeraaaaaaaaaaaaaaa',
  'jti', 'jti-svc', 'scope', 'molecules:write audit:read', 'team_id', tests.fid('teams', 'A')));
do $$ begin perform set_config('cryo.request_id', 'req-svc', true); end $$;
insert into public.molecules (name, smiles, inchikey, source, team_id, visibility)
values ('audited', 'CCO', 'AUDITEDMOLECUL-AAAAAAAAAA-N', 'test', tests.fid('teams', 'A'), 'team');
select tests.clear_authentication();
create temporary table audit_svc as
select * from audit.events where id > (select id from audit_mark) and table_name = 'public.molecules' and operation = 'INSERT';
select is((select count(*)::int from audit_svc), 1, 'a service client''s insert leaves one event');
select is((select row(actor_sub, actor_role, client_id, jti, scopes, request_id, team_id)::text from audit_svc),
  row('cpc_importeraaaaaaaaaaaaaaa', 'cryo_service', 'cpc_importeraaaaaaaaaaaaaaa', 'jti-svc', array['molecules:write', 'audit:read'], 'req-svc',
      tests.fid('teams', 'A'))::text,
  'with the service client''s sub, role, client_id, jti, scopes, the request id and the row''s team');
select is((select changed -> 'name' from audit_svc), '{"new": "audited"}'::jsonb, 'an insert records every column as new');
select is((select row_pk from audit_svc), jsonb_build_object('id', (select id from public.molecules where name = 'audited')),
  'and the primary key of the row');
select is((select txid from audit_svc), txid_current(), 'and the transaction id');

select tests.authenticate_as('acc_editor_a');
do $$ begin perform set_config('cryo.request_id', 'req-user', true); end $$;
update public.molecules set name = 'renamed' where id = tests.fid('molecules', 'A');
select tests.clear_authentication();
create temporary table audit_user as
select * from audit.events where id > (select id from audit_mark) and table_name = 'public.molecules' and operation = 'UPDATE';
select is((select count(*)::int from audit_user), 1, 'a user''s update of one row leaves one event');
select is((select row(actor_sub, actor_role, client_id, jti, request_id, team_id)::text from audit_user),
  row(tests.get_supabase_uid('acc_editor_a')::text, 'authenticated', null, null, 'req-user', tests.fid('teams', 'A'))::text,
  'with the user''s sub, the authenticated role, the request id and the team');
select is((select changed -> 'name' from audit_user), '{"old": "fixture molecule A", "new": "renamed"}'::jsonb,
  'a changed column carries its old and new values');
select ok((select not (changed ? 'smiles') and not (changed ? 'inchikey') from audit_user), 'unchanged columns are not recorded');

select tests.authenticate_as('acc_editor_a');
delete from public.molecule_identifiers where id = tests.fid('molecule_identifiers', 'A');
update public.mixture_components set concentration = concentration where team_id = tests.fid('teams', 'A');
update public.molecules set name = name where false;
select tests.clear_authentication();
select is((select changed -> 'value' from audit.events where id > (select id from audit_mark) and table_name = 'public.molecule_identifiers' and operation = 'DELETE'),
  '{"old": "DTXSID-fixture-A"}'::jsonb, 'a delete records every column as old');
select is((select changed from audit.events where id > (select id from audit_mark) and table_name = 'public.mixture_components' and operation = 'UPDATE'),
  '{}'::jsonb, 'an update that changes nothing is still one event, with no changed column');
select is((select count(*)::int from audit.events where id > (select id from audit_mark) and table_name = 'public.molecules'), 2,
  'a statement that changes no row leaves no event');

select tests.authenticate_as('acc_outsider');
select public.create_team('Audited team') as new_team \gset
select tests.clear_authentication();
select is((select array_agg(table_name || ':' || actor_role || ':' || (actor_sub = tests.get_supabase_uid('acc_outsider')::text) order by table_name)
           from audit.events where id > (select id from audit_mark) and team_id = :'new_team'),
  array['public.team_members:authenticated:true', 'public.teams:authenticated:true'],
  'writes made inside a definer RPC are attributed to the calling user and role, with the new team');

/** --- Reading: team_audit_events --- */
/**
 * tests.audit_rows_as(role_name text, claims jsonb, team uuid) returns int
 * How many of the team's events (first page of 3) private.team_audit_events gives the role with the claims.
 */
create function tests.audit_rows_as(role_name text, claims jsonb, team uuid) returns int
language plpgsql set search_path = pg_catalog, pg_temp as $$
declare n int;
begin
  perform tests.authenticate_as_role(role_name, claims);
  select count(*) into n from private.team_audit_events(team, null, 3);
  perform tests.clear_authentication();
  return n;
end $$;
create function tests.audit_rows_as_user(identifier text, team uuid) returns int
language plpgsql set search_path = pg_catalog, pg_temp as $$
declare n int;
begin
  perform tests.authenticate_as(identifier);
  select count(*) into n from private.team_audit_events(team, null, 3);
  perform tests.clear_authentication();
  return n;
end $$;
grant usage on schema tests to cryo_service;
grant execute on function tests.audit_rows_as(text, jsonb, uuid) to cryo_service;

create temporary table audit_team_a as
select id from audit.events where team_id = tests.fid('teams', 'A') order by id desc limit 6;
-- The runner owns the temp tables: API roles may not create temporary objects (TEMPORARY is revoked).
create temporary table audit_page1 as select * from private.team_audit_events(tests.fid('teams', 'A'), null, 1) limit 0;
create temporary table audit_page2 as select * from audit_page1;
grant insert, select on audit_page1, audit_page2 to authenticated;
select tests.authenticate_as('acc_owner_a');
insert into audit_page1 select * from private.team_audit_events(tests.fid('teams', 'A'), null, 3);
insert into audit_page2 select * from private.team_audit_events(tests.fid('teams', 'A'), (select min(id) from audit_page1), 3);
select is((select count(*)::int from private.team_audit_events(tests.fid('teams', 'A'), null, 0)), 1, 'a limit below 1 is raised to 1');
select tests.clear_authentication();
select is((select array_agg(id order by id desc) from audit_page1), (select array_agg(id order by id desc) from (select id from audit_team_a order by id desc limit 3) x),
  'an owner''s first page holds the team''s newest events, newest first');
select is((select array_agg(id order by id desc) from audit_page2), (select array_agg(id order by id desc) from (select id from audit_team_a order by id desc offset 3) x),
  'the next page (p_before_id = smallest id seen) continues exactly where the first ended');
select ok((select bool_and(team_id = tests.fid('teams', 'A')) from audit_page1), 'every event of the page is the team''s');
select is(tests.audit_rows_as('cryo_service', jsonb_build_object('sub', 'cpc_x', 'client_id', 'cpc_x', 'scope', 'audit:read', 'team_id', tests.fid('teams', 'A')),
                               tests.fid('teams', 'A')), 3, 'a service client with audit:read reads its own team''s events');
select is(tests.audit_rows_as('cryo_service', jsonb_build_object('sub', 'cpc_x', 'client_id', 'cpc_x', 'scope', 'audit:read', 'team_id', tests.fid('teams', 'A')),
                               tests.fid('teams', 'B')), 0, 'but not another team''s');
select is(tests.audit_rows_as('cryo_service', jsonb_build_object('sub', 'cpc_x', 'client_id', 'cpc_x', 'scope', 'molecules:write', 'team_id', tests.fid('teams', 'A')),
                               tests.fid('teams', 'A')), 0, 'a service client without audit:read reads nothing');
select is(tests.audit_rows_as_user(u, tests.fid('teams', 'A')), 0,
  format('%s (not an owner of team A) reads nothing of it, and gets no error', u))
from unnest(array['acc_editor_a', 'acc_viewer_a', 'acc_owner_b', 'acc_outsider']) u;
select is(tests.audit_rows_as_user('acc_owner_a', tests.fid('teams', 'A')), 3, 'while its owner does (the same call)');
select tests.authenticate_as_role('anon');
select throws_ok($$select * from private.team_audit_events('00000000-0000-0000-0000-000000000000'::uuid)$$, '42501', null,
  'anon cannot call team_audit_events');
select tests.clear_authentication();

/** --- request_denied: the caller's identity, a fixed type, bounded size --- */
select tests.authenticate_as_role('cryo_service', jsonb_build_object('sub', 'cpc_denied', 'client_id', 'cpc_denied', 'jti', 'jti-denied',
  'scope', 'molecules:read', 'team_id', tests.fid('teams', 'B')));
do $$ begin perform set_config('cryo.request_id', 'req-denied', true); end $$;
select private.record_request_denied('insufficient_scope', '{"scope": "molecules:write"}');
select private.record_request_denied(repeat('r', 500), jsonb_build_object('blob', repeat('x', 5000)));
select tests.clear_authentication();
select is((select row(event_type, actor_role, actor_sub, client_id, jti, request_id, team_id, detail ->> 'reason')::text from audit.events
           where id > (select id from audit_mark) and jti = 'jti-denied' order by id limit 1),
  row('request_denied', 'cryo_service', 'cpc_denied', 'cpc_denied', 'jti-denied', 'req-denied', tests.fid('teams', 'B'), 'insufficient_scope')::text,
  'request_denied records the caller''s claims, role, request id and the client''s team');
select is((select row(char_length(detail ->> 'reason'), detail -> 'detail')::text from audit.events
           where id > (select id from audit_mark) and jti = 'jti-denied' order by id desc limit 1),
  row(200, '{"truncated": true}'::jsonb)::text, 'a long reason is cut to 200 characters and a detail over 4 kB is dropped');
select tests.authenticate_as_role('anon');
select lives_ok($$select private.record_request_denied('no token', null)$$, 'anon may record a denied request');
select tests.clear_authentication();
select is((select count(*)::int from pg_proc p where p.oid = 'private.record_request_denied(text, jsonb)'::regprocedure and p.pronargs = 2), 1,
  'its only parameters are the reason and detail: the event type cannot be chosen');

/** --- Partitions --- */
-- On a long-lived database the daily job may not have run yet this month: run it once, as pg_cron would.
do $$ begin perform audit.ensure_partitions(3); end $$;
select is((select array_agg(to_regclass(format('audit.events_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'))) is not null)
           from generate_series(date_trunc('month', now() at time zone 'UTC'), date_trunc('month', now() at time zone 'UTC') + interval '3 months', interval '1 month') m),
  array[true, true, true, true], 'partitions exist for this month and the next three');
select is((select tableoid::regclass::text from audit.events where id > (select id from audit_mark) order by id desc limit 1),
  format('audit.events_y%s', to_char(now() at time zone 'UTC', 'YYYY"m"MM')), 'a new event lands in this month''s partition');
select is(audit.ensure_partitions(3), 0, 'ensure_partitions(3) creates nothing when they exist');
select is(audit.ensure_partitions(5), 2, 'ensure_partitions(5) creates the two missing months');
select ok(not has_table_privilege('postgres', format('audit.events_y%s', to_char((now() at time zone 'UTC') + interval '5 months', 'YYYY"m"MM')), 'update, delete, truncate'),
  'a new partition is sealed: not even its owner may update, delete or truncate it');
select ok(exists (select from pg_trigger where tgrelid = format('audit.events_y%s', to_char((now() at time zone 'UTC') + interval '5 months', 'YYYY"m"MM'))::regclass
                  and tgname = 'events_refuse_truncate'), 'and it has its own truncate trigger');
create table audit.events_y2024m01 partition of audit.events for values from ('2024-01-01 00:00+00') to ('2024-02-01 00:00+00');
insert into audit.events (occurred_at, event_type, detail) values ('2024-01-15 12:00+00', 'request_denied', '{"old": true}');
select lives_ok(format($$create table audit.events_y%s partition of audit.events for values from (%L) to (%L)$$,
                       to_char(date_trunc('month', now() at time zone 'UTC') - interval '12 months', 'YYYY"m"MM'),
                       (date_trunc('month', now() at time zone 'UTC') - interval '12 months') at time zone 'UTC',
                       (date_trunc('month', now() at time zone 'UTC') - interval '11 months') at time zone 'UTC'),
  'a partition of twelve months ago can be made (for the retention check)');
select is(audit.drop_partitions_older_than('13 months'), 1, 'drop_partitions_older_than(13 months) drops only the partition that ended over 13 months ago');
select is(to_regclass('audit.events_y2024m01'), null, 'the old partition and its events are gone');
select isnt(to_regclass(format('audit.events_y%s', to_char(date_trunc('month', now() at time zone 'UTC') - interval '12 months', 'YYYY"m"MM'))), null,
  'a month still within the retention is kept');
select is(to_regclass('audit.events_default')::text, 'audit.events_default', 'the default partition is never dropped');
select throws_ok($$select audit.drop_partitions_older_than('1 day')$$, '22023', null, 'a retention under a month is refused');
select throws_ok($$select audit.ensure_partitions(-1)$$, '22023', null, 'a negative months_ahead is refused');
select is((select array_agg(jobname::text order by jobname) from cron.job where jobname like 'audit-%' or jobname = 'purge-revoked-tokens'),
  array['audit-drop-old-partitions', 'audit-ensure-partitions', 'purge-revoked-tokens'], 'pg_cron runs both partition jobs and the revocation purge daily');

select * from finish();
rollback;
