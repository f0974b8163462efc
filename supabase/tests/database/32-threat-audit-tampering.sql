/**
 * Threat: rewriting history. Nobody may update, delete or truncate audit events: not the API roles (anon,
 * authenticated, cryo_service), not the functions' login role (cryo_api), not the owner (postgres) on its
 * ordinary path; on the parent table, on this month's partition and on the default partition. Two layers
 * are checked separately: privileges (nobody holds UPDATE, DELETE or TRUNCATE; the API roles cannot even
 * see the schema) and triggers (which refuse even after the owner grants itself the privileges back).
 */
begin;
select plan(64);
select tests.access_fixture();
-- The runner acts as cryo_api the way the functions' pooled connections do (cryo_api may switch to anon/authenticated).
grant cryo_api to postgres;

create temporary table tamper_targets as
select unnest(array['audit.events', format('audit.events_y%s', to_char(now() at time zone 'UTC', 'YYYY"m"MM')), 'audit.events_default']) as rel;
create temporary table tamper_before as select count(*) as n, max(id) as max_id from audit.events;

/**
 * tests.tamper(role_name text, stmt text) returns text
 * The SQLSTATE the statement raises as the role (claims of a team owner / a service client with every
 * scope where they apply), or 'no error'; undone either way.
 */
create function tests.tamper(role_name text, stmt text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  result text;
begin
  begin
    case role_name
    when 'postgres' then null;
    when 'cryo_api' then execute 'set local role cryo_api';
    when 'authenticated' then perform tests.authenticate_as('acc_owner_a');
    when 'cryo_service' then perform tests.authenticate_as_role('cryo_service', jsonb_build_object('sub', 'cpc_tamper', 'client_id', 'cpc_tamper',
      'scope', array_to_string(private.valid_scopes(), ' '), 'team_id', tests.fid('teams', 'A')));
    else perform tests.authenticate_as_role(role_name);
    end case;
    execute stmt;
    raise exception 'undo' using errcode = 'TSTUN';
  exception
    when sqlstate 'TSTUN' then result := 'no error';
    when others then result := sqlstate;
  end;
  perform tests.clear_authentication();
  return result;
end
$$;

-- Something to tamper with in every target: an event of this month, and one in the default partition.
insert into audit.events (occurred_at, event_type, detail) values ('1990-01-01 00:00+00', 'request_denied', '{"ancient": true}');
select tests.authenticate_as('acc_editor_a');
update public.molecules set name = 'tamper bait' where id = tests.fid('molecules', 'A');
select tests.clear_authentication();

/** --- Every role, every target: update, delete, truncate refused --- */
select is(tests.tamper(r, format(s, t.rel)), '42501', format('as %s: %s refused', r, format(s, t.rel)))
from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'postgres']) r,
     tamper_targets t,
     unnest(array['update %s set detail = ''{"forged": true}''', 'delete from %s', 'truncate %s']) s
where t.rel <> 'audit.events_default' or s <> 'truncate %s';
select is(tests.tamper(r, 'truncate audit.events_default'), '42501', format('as %s: truncate audit.events_default refused', r))
from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'postgres']) r;

/** --- Forging: API roles cannot insert events themselves --- */
select is(tests.tamper(r, $$insert into audit.events (event_type, actor_sub) values ('token_issued', 'forged')$$), '42501',
  format('as %s: inserting an event directly is refused (only the definers write)', r))
from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api']) r;

/** --- Layer 1: privileges --- */
select is(
  (select coalesce(array_agg(format('%s on %s', r, c.oid::regclass) order by 1), '{}')
   from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role', 'postgres']) r,
        pg_class c
   where c.relnamespace = 'audit'::regnamespace and c.relkind in ('r', 'p')
     and (has_table_privilege(r, c.oid, 'update') or has_table_privilege(r, c.oid, 'delete') or has_table_privilege(r, c.oid, 'truncate'))),
  '{}'::text[], 'no role, the owner included, holds UPDATE, DELETE or TRUNCATE on the events table or any partition');
select is(
  (select coalesce(array_agg(r order by r), '{}') from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role']) r
   where has_schema_privilege(r, 'audit', 'usage')),
  '{}'::text[], 'no API role (nor service_role) may use the audit schema');
select is(
  (select coalesce(array_agg(format('%s: %s', r, p.oid::regprocedure) order by 1), '{}')
   from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api']) r, pg_proc p
   where p.pronamespace = 'audit'::regnamespace and has_function_privilege(r, p.oid, 'execute')),
  '{}'::text[], 'no API role may execute any audit.* function (events are written only by triggers and private definers)');

/** --- Layer 2: triggers, even when the owner takes the privileges back --- */
grant update, delete, truncate on audit.events, audit.events_default to postgres;
do $$ begin
  execute format('grant update, delete, truncate on audit.events_y%s to postgres', to_char(now() at time zone 'UTC', 'YYYY"m"MM'));
end $$;
select is(tests.tamper('postgres', format(s, t.rel)), '42501', format('with the privileges granted back, the owner''s %s is still refused by the trigger', format(s, t.rel)))
from tamper_targets t, unnest(array['update %s set detail = null', 'delete from %s', 'truncate %s']) s;
select throws_ok(format('delete from audit.events where id = %s', (select max_id from tamper_before)), '42501', 'audit.events is append-only: delete refused',
  'the refusal says why');

select is((select row(count(*), max(id))::text from audit.events where id <= (select max_id from tamper_before)),
          (select row(n, max_id)::text from tamper_before), 'after every attempt, every event is still there');
select is((select detail from audit.events where detail ? 'ancient'), '{"ancient": true}'::jsonb, 'and unchanged');

select * from finish();
rollback;
