/**
 * CryoProtect: the append-only audit log (issue 9, item 9, SQL side)
 * ---------------------------------------------------------------------------------------------------------
 * One table, audit.events, partitioned by month on occurred_at, in the schema `audit` that no API role can
 * even see (no usage for anon, authenticated, cryo_service or cryo_api). Rows get in only through:
 *   - audit.record_row_change(), an AFTER row trigger attached to EVERY table of private.access_registry
 *     (by audit.attach_row_triggers(), and by private.apply_access_policies() itself, so a table cannot be
 *     registered without it);
 *   - the definers of the token path (authenticate, revoke, client management) and
 *     private.record_request_denied(), which write events of a fixed type.
 * Nobody updates, deletes or truncates a row: the privileges are revoked from every role, the owner
 * (`postgres`) included, on the parent and on every partition; and row/statement triggers refuse UPDATE,
 * DELETE and TRUNCATE even when a privilege is granted back. What remains is the owner's extraordinary path
 * (re-granting, disabling triggers, dropping partitions), which is what retention uses.
 * Partitions are created three months ahead and dropped after 13 months by pg_cron (daily); a DEFAULT
 * partition catches anything outside them. docs/tokens-and-audit-sql.md describes the whole; pgTAP files
 * 31-audit-log.sql and 32-threat-audit-tampering.sql prove it.
 */

create extension if not exists pg_cron;

/** --- Schema --- */
create schema if not exists audit;
comment on schema audit is
  'Append-only audit log of CryoProtect. Never exposed; API roles reach it only through private.* definers.';
revoke all on schema audit from public;
do $$
declare
  r pg_catalog.text;
begin
  foreach r in array array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role'] loop
    if exists (select from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('revoke all on schema audit from %I', r);
    end if;
  end loop;
end
$$;

/** --- The events table --- */

/**
 * audit.events: one row per audited event, never changed.
 *   event_type  row_change | token_issued | token_revoked | auth_failed | request_denied | client_changed
 *   table_name  'public.<table>' for row changes; operation INSERT | UPDATE | DELETE (client_changed:
 *               create | disable | rotate_secret | delete)
 *   row_pk      the primary key of the changed row as a JSON object
 *   changed     {"col": {"old": v, "new": v}} for the columns an UPDATE changed; every column as
 *               {"col": {"new": v}} for an INSERT and {"col": {"old": v}} for a DELETE
 *   actor_*     who acted: the request's `sub` claim and API role (the SET ROLE in effect, also inside a
 *               definer; the session user when none), client_id / jti / scopes of a service token
 *   request_id  the transaction setting cryo.request_id (the functions set it per transaction)
 *   team_id     the row's team (teams: its id) or the service client's team: what team owners may read
 *   txid        txid_current(): events of one transaction share it
 * No primary key: rows are never looked up by id alone, never updated, and each index costs every audited
 * write; the identity column is unique by construction. Reads go by (team_id, id) (team pages) and by
 * occurred_at (partition pruning).
 */
create table audit.events (
  id pg_catalog.int8 generated always as identity,
  occurred_at pg_catalog.timestamptz not null default pg_catalog.now(),
  event_type pg_catalog.text not null check (event_type in ('row_change', 'token_issued', 'token_revoked', 'auth_failed',
                                                            'request_denied', 'client_changed')),
  table_name pg_catalog.text,
  operation pg_catalog.text,
  row_pk pg_catalog.jsonb,
  changed pg_catalog.jsonb,
  actor_sub pg_catalog.text,
  actor_role pg_catalog.text,
  client_id pg_catalog.text,
  jti pg_catalog.text,
  scopes pg_catalog.text[],
  request_id pg_catalog.text,
  team_id pg_catalog.uuid,
  txid pg_catalog.int8 not null default pg_catalog.txid_current(),
  detail pg_catalog.jsonb
) partition by range (occurred_at);
comment on table audit.events is
  'Append-only audit events (row changes, token issuance/revocation, failed authentication, denied requests), partitioned monthly.';
create index events_team_id_id_idx on audit.events (team_id, id);

create table audit.events_default partition of audit.events default;
comment on table audit.events_default is 'Events outside every monthly partition (only if pg_cron stopped creating them).';

/** --- Immutability --- */

/**
 * audit.refuse_change() trigger
 * Refuses UPDATE and DELETE of any event row and TRUNCATE of the table or a partition (42501), whoever
 * asks, even when a privilege was granted back.
 */
create or replace function audit.refuse_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception 'audit.events is append-only: % refused', pg_catalog.lower(tg_op) using errcode = '42501';
end
$$;
comment on function audit.refuse_change() is 'Trigger: audit events are never updated, deleted or truncated (42501).';
revoke execute on function audit.refuse_change() from public;

create trigger events_refuse_update_delete before update or delete on audit.events
  for each row execute function audit.refuse_change();
create trigger events_refuse_truncate before truncate on audit.events
  for each statement execute function audit.refuse_change();

/**
 * audit.seal(rel regclass) returns void
 * The privileges of one events table (the parent or a partition): nothing for PUBLIC and the API roles,
 * and for the owner only SELECT and INSERT (the owner's own UPDATE, DELETE, TRUNCATE, REFERENCES and
 * TRIGGER privileges are revoked); a partition also gets its own TRUNCATE trigger (statement triggers are
 * not inherited).
 */
create or replace function audit.seal(rel pg_catalog.regclass)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  r pg_catalog.text;
  owner_name pg_catalog.text := (select c.relowner::pg_catalog.regrole::pg_catalog.text from pg_catalog.pg_class c where c.oid = rel);
begin
  execute pg_catalog.format('revoke all on %s from public', rel);
  foreach r in array array['anon', 'authenticated', 'cryo_service', 'cryo_api', 'service_role'] loop
    if exists (select from pg_catalog.pg_roles x where x.rolname = r) then
      execute pg_catalog.format('revoke all on %s from %I', rel, r);
    end if;
  end loop;
  if rel <> 'audit.events'::pg_catalog.regclass and not exists (
       select from pg_catalog.pg_trigger t where t.tgrelid = rel and t.tgname = 'events_refuse_truncate') then
    execute pg_catalog.format('create trigger events_refuse_truncate before truncate on %s for each statement execute function audit.refuse_change()', rel);
  end if;
  -- Last: creating the trigger above needs the TRIGGER privilege this takes away.
  execute pg_catalog.format('revoke update, delete, truncate, references, trigger on %s from %s', rel, owner_name);
end
$$;
comment on function audit.seal(pg_catalog.regclass) is
  'Sets an events table''s privileges (owner: select/insert only; nobody else anything) and its truncate trigger.';
revoke execute on function audit.seal(pg_catalog.regclass) from public;

select audit.seal('audit.events');
select audit.seal('audit.events_default');

/** --- Partitions --- */

/**
 * audit.ensure_partitions(months_ahead int default 3) returns int
 * Creates the monthly partitions audit.events_yYYYYmMM (UTC month bounds) from the current month to
 * `months_ahead` months after it, sealed like the parent; returns how many it created. A month whose rows
 * already sit in the default partition (pg_cron was stopped) is skipped with a warning: moving them would
 * need a DELETE, which nobody may do. Daily by pg_cron.
 */
create or replace function audit.ensure_partitions(months_ahead pg_catalog.int4 default 3)
returns pg_catalog.int4
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  first_month pg_catalog.timestamptz := pg_catalog.date_trunc('month', pg_catalog.now(), 'UTC');
  lo pg_catalog.timestamptz;
  hi pg_catalog.timestamptz;
  part pg_catalog.text;
  made pg_catalog.int4 := 0;
begin
  if months_ahead is null or months_ahead < 0 or months_ahead > 24 then
    raise exception 'audit.ensure_partitions: months_ahead must be between 0 and 24' using errcode = '22023';
  end if;
  for i in 0 .. months_ahead loop
    lo := first_month + pg_catalog.make_interval(months => i);
    hi := lo + '1 month'::pg_catalog.interval;
    part := pg_catalog.to_char(lo at time zone 'UTC', '"events_y"YYYY"m"MM');
    continue when pg_catalog.to_regclass('audit.' || part) is not null;
    if exists (select from audit.events_default d where d.occurred_at >= lo and d.occurred_at < hi) then
      raise warning 'audit.ensure_partitions: audit.% not created: the default partition holds events of that month', part;
      continue;
    end if;
    execute pg_catalog.format('create table audit.%I partition of audit.events for values from (%L) to (%L)', part, lo, hi);
    execute pg_catalog.format('comment on table audit.%I is %L', part, 'Audit events of ' || pg_catalog.to_char(lo at time zone 'UTC', 'YYYY-MM') || ' (UTC).');
    perform audit.seal(('audit.' || part)::pg_catalog.regclass);
    made := made + 1;
  end loop;
  return made;
end
$$;
comment on function audit.ensure_partitions(pg_catalog.int4) is
  'Creates the monthly events partitions from this month to months_ahead ahead (sealed); returns how many. Daily by pg_cron.';
revoke execute on function audit.ensure_partitions(pg_catalog.int4) from public;

/**
 * audit.drop_partitions_older_than(retention interval default '13 months') returns int
 * Drops every monthly partition whose whole month ended before now() - retention (so at least `retention`
 * of history is always kept); returns how many it dropped. The default partition is never dropped.
 * Dropping a partition is the owner's DDL, not a DELETE: the only way events leave. Daily by pg_cron.
 */
create or replace function audit.drop_partitions_older_than(retention pg_catalog.interval default '13 months')
returns pg_catalog.int4
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  p record;
  dropped pg_catalog.int4 := 0;
begin
  if retention is null or retention < '1 month'::pg_catalog.interval then
    raise exception 'audit.drop_partitions_older_than: retention must be at least 1 month' using errcode = '22023';
  end if;
  for p in
    select c.relname,
           pg_catalog.make_timestamptz(pg_catalog.substr(c.relname, 9, 4)::pg_catalog.int4, pg_catalog.substr(c.relname, 14, 2)::pg_catalog.int4,
                                       1, 0, 0, 0, 'UTC') + '1 month'::pg_catalog.interval as upper_bound
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'audit.events'::pg_catalog.regclass and c.relname ~ '^events_y[0-9]{4}m[0-9]{2}$'
  loop
    if p.upper_bound <= pg_catalog.now() - retention then
      execute pg_catalog.format('drop table audit.%I', p.relname);
      dropped := dropped + 1;
    end if;
  end loop;
  return dropped;
end
$$;
comment on function audit.drop_partitions_older_than(pg_catalog.interval) is
  'Drops monthly events partitions that ended before now() - retention (default 13 months); returns how many. Daily by pg_cron.';
revoke execute on function audit.drop_partitions_older_than(pg_catalog.interval) from public;

select audit.ensure_partitions(3);

select cron.schedule('audit-ensure-partitions', '17 2 * * *', $$select audit.ensure_partitions(3)$$);
select cron.schedule('audit-drop-old-partitions', '27 2 * * *', $$select audit.drop_partitions_older_than('13 months')$$);

/** --- Writing events --- */

/**
 * audit.caller_role() returns text
 * The API role acting: the SET ROLE in effect (a definer does not change it), else the session user.
 */
create or replace function audit.caller_role()
returns pg_catalog.text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
  select case when pg_catalog.current_setting('role') = 'none' then session_user::pg_catalog.text
              else pg_catalog.current_setting('role') end
$$;
comment on function audit.caller_role() is 'The role the request acts as (SET ROLE in effect, else the session user).';
revoke execute on function audit.caller_role() from public;

/**
 * audit.log_event(event_type text, client_id text, team_id uuid, jti text, scopes text[], detail jsonb,
 *                 request_id text default null) returns void
 * Appends one non-row event with the caller's identity (claims, role, request id). Internal: called by the
 * definers of the token path (which run as the owner); no API role may execute it.
 */
create or replace function audit.log_event(p_event_type pg_catalog.text, p_client_id pg_catalog.text, p_team_id pg_catalog.uuid,
  p_jti pg_catalog.text, p_scopes pg_catalog.text[], p_detail pg_catalog.jsonb, p_request_id pg_catalog.text default null)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
  claims pg_catalog.jsonb := private.request_claims();
begin
  insert into audit.events (event_type, actor_sub, actor_role, client_id, jti, scopes, request_id, team_id, detail)
  values (p_event_type, claims ->> 'sub', audit.caller_role(), p_client_id, p_jti, p_scopes,
          pg_catalog.left(coalesce(p_request_id, nullif(pg_catalog.current_setting('cryo.request_id', true), '')), 200),
          p_team_id, p_detail);
end
$$;
comment on function audit.log_event(pg_catalog.text, pg_catalog.text, pg_catalog.uuid, pg_catalog.text, pg_catalog.text[], pg_catalog.jsonb, pg_catalog.text) is
  'Internal: appends one non-row audit event with the caller''s claims, role and request id.';
revoke execute on function audit.log_event(pg_catalog.text, pg_catalog.text, pg_catalog.uuid, pg_catalog.text, pg_catalog.text[], pg_catalog.jsonb, pg_catalog.text) from public;

/**
 * audit.record_row_change() trigger (arguments: team column or '', primary-key columns...)
 * AFTER INSERT/UPDATE/DELETE FOR EACH ROW on every registered table: exactly one event per row change.
 * The team column and primary key come as trigger arguments computed once at attach time, so a row costs
 * one INSERT and no catalog lookup. Changed columns come from one jsonb diff of the old and new rows.
 * Security definer (owner postgres) because API roles may not write audit.events themselves.
 */
create or replace function audit.record_row_change()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  claims pg_catalog.jsonb := private.request_claims();
  n pg_catalog.jsonb;
  o pg_catalog.jsonb;
  r pg_catalog.jsonb;
  pk pg_catalog.jsonb := '{}';
  diff pg_catalog.jsonb;
  team pg_catalog.text;
  i pg_catalog.int4;
begin
  if tg_op = 'INSERT' then
    n := pg_catalog.to_jsonb(new);
    r := n;
    select pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('new', e.value)) into diff from pg_catalog.jsonb_each(n) e;
  elsif tg_op = 'UPDATE' then
    n := pg_catalog.to_jsonb(new);
    o := pg_catalog.to_jsonb(old);
    r := n;
    select coalesce(pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('old', o -> e.key, 'new', e.value)), '{}')
      into diff from pg_catalog.jsonb_each(n) e where (o -> e.key) is distinct from e.value;
  else
    o := pg_catalog.to_jsonb(old);
    r := o;
    select pg_catalog.jsonb_object_agg(e.key, pg_catalog.jsonb_build_object('old', e.value)) into diff from pg_catalog.jsonb_each(o) e;
  end if;
  for i in 1 .. tg_nargs - 1 loop
    pk := pk || pg_catalog.jsonb_build_object(tg_argv[i], r -> tg_argv[i]);
  end loop;
  if tg_argv[0] <> '' then
    team := r ->> tg_argv[0];
  end if;
  insert into audit.events (event_type, table_name, operation, row_pk, changed, actor_sub, actor_role, client_id, jti, scopes,
                            request_id, team_id)
  values ('row_change', tg_table_schema || '.' || tg_table_name, tg_op, pk, diff, claims ->> 'sub',
          -- audit.caller_role(), inlined: this runs once per row
          case when pg_catalog.current_setting('role') = 'none' then session_user::pg_catalog.text else pg_catalog.current_setting('role') end,
          claims ->> 'client_id', claims ->> 'jti',
          pg_catalog.string_to_array(nullif(pg_catalog.btrim(claims ->> 'scope'), ''), ' '),
          pg_catalog.left(nullif(pg_catalog.current_setting('cryo.request_id', true), ''), 200),
          team::pg_catalog.uuid);
  return null;
end
$$;
comment on function audit.record_row_change() is
  'Trigger: one audit event per row change (args: team column or '''', primary-key columns); definer so API roles never write audit.events.';
revoke execute on function audit.record_row_change() from public;

/**
 * audit.attach_row_trigger(tbl regclass) returns void
 * (Re)creates the audit trigger `audit_row_change` on one table with its team column ('team_id', 'id' for
 * the teams table, none otherwise) and primary-key columns as arguments.
 */
create or replace function audit.attach_row_trigger(tbl pg_catalog.regclass)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  team_col pg_catalog.text;
  pk_cols pg_catalog.text;
begin
  team_col := case
    when tbl = 'public.teams'::pg_catalog.regclass then 'id'
    when exists (select from pg_catalog.pg_attribute a where a.attrelid = tbl and a.attname = 'team_id' and not a.attisdropped) then 'team_id'
    else '' end;
  select pg_catalog.string_agg(pg_catalog.quote_literal(a.attname), ', ' order by k.ord) into pk_cols
  from pg_catalog.pg_index x
  cross join lateral pg_catalog.unnest(x.indkey::pg_catalog.int2[]) with ordinality k(attnum, ord)
  join pg_catalog.pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
  where x.indrelid = tbl and x.indisprimary;
  execute pg_catalog.format(
    'create or replace trigger audit_row_change after insert or update or delete on %s for each row execute function audit.record_row_change(%L%s)',
    tbl, team_col, coalesce(', ' || pk_cols, ''));
end
$$;
comment on function audit.attach_row_trigger(pg_catalog.regclass) is
  'Attaches the audit row trigger to a table (team column and primary key passed as arguments).';
revoke execute on function audit.attach_row_trigger(pg_catalog.regclass) from public;

/**
 * audit.attach_row_triggers() returns int
 * Attaches the audit trigger to every table of private.access_registry; returns how many.
 */
create or replace function audit.attach_row_triggers()
returns pg_catalog.int4
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  t pg_catalog.regclass;
  n pg_catalog.int4 := 0;
begin
  for t in select r.table_name from private.access_registry r order by r.table_name::pg_catalog.text loop
    perform audit.attach_row_trigger(t);
    n := n + 1;
  end loop;
  return n;
end
$$;
comment on function audit.attach_row_triggers() is 'Attaches the audit row trigger to every registered table; returns how many.';
revoke execute on function audit.attach_row_triggers() from public;

select audit.attach_row_triggers();

/** --- The policy generator attaches the audit trigger too --- */

/**
 * private.apply_access_policies(tbl regclass, resource text, kind text default 'team_data') returns void
 * Re-created from 20261130010000_definer_hardening.sql with one change: it also attaches the audit row
 * trigger (audit.attach_row_trigger), so registering a table and auditing it are one step and no table
 * of private.access_registry can be forgotten. Everything else is as before:
 * enables RLS on the table, sets its grants and (re)creates the standard nine policies from the row
 * model `kind`. Predicates a role must not get are `false`, so every table carries the same policy set.
 * Helpers are called as `(select private.fn())` (one InitPlan per statement), casts are qualified.
 *   kind 'team_data'  rows with team_id + visibility     kind 'reference'  public reference data
 *   kind 'team'       teams (created only by public.create_team(), never inserted by API roles)
 *   kind 'membership' team_members (rows made only by team creation and accepted invitations)
 *   kind 'profile'    profiles                           kind 'invitation' team_invitations
 *   select private.apply_access_policies('public.molecules', 'molecules');
 */
create or replace function private.apply_access_policies(tbl pg_catalog.regclass, resource pg_catalog.text,
  kind pg_catalog.text default 'team_data')
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  rel pg_catalog.text := tbl::pg_catalog.text;
  base pg_catalog.text := (select c.relname from pg_catalog.pg_class c where c.oid = tbl);
  r pg_catalog.text := pg_catalog.quote_literal(resource);
  member_read pg_catalog.text;   -- authenticated: select
  member_insert pg_catalog.text; -- authenticated: insert (check)
  member_write pg_catalog.text;  -- authenticated: update/delete (using and check)
  anon_read pg_catalog.text;
  svc_read pg_catalog.text;
  svc_write pg_catalog.text;
  pol pg_catalog.name;
begin
  case kind
  when 'team_data' then
    anon_read := $q$visibility = 'public'$q$;
    member_read := $q$visibility = 'public' or team_id = any ((select private.my_team_ids())::pg_catalog.uuid[])$q$;
    member_write := $q$team_id = any ((select private.my_editable_team_ids())::pg_catalog.uuid[])$q$;
    svc_read := pg_catalog.format($q$(select private.service_has_scope(%s, 'read')) and (visibility = 'public' or team_id = (select private.service_team_id()))$q$, r);
    svc_write := pg_catalog.format($q$(select private.service_has_scope(%s, 'write')) and team_id = (select private.service_team_id())$q$, r);
  when 'reference' then
    anon_read := 'true';
    member_read := 'true';
    member_write := 'false';
    svc_read := pg_catalog.format($q$(select private.service_has_scope(%s, 'read'))$q$, r);
    svc_write := 'false';
  when 'team' then
    anon_read := 'false';
    member_read := $q$id = any ((select private.my_team_ids())::pg_catalog.uuid[])$q$;
    member_insert := 'false';
    member_write := $q$id = any ((select private.my_owned_team_ids())::pg_catalog.uuid[])$q$;
    svc_read := pg_catalog.format($q$(select private.service_has_scope(%s, 'read')) and id = (select private.service_team_id())$q$, r);
    svc_write := 'false';
  when 'membership' then
    anon_read := 'false';
    member_read := $q$team_id = any ((select private.my_team_ids())::pg_catalog.uuid[])$q$;
    member_insert := 'false';
    member_write := $q$team_id = any ((select private.my_owned_team_ids())::pg_catalog.uuid[])$q$;
    svc_read := pg_catalog.format($q$(select private.service_has_scope(%s, 'read')) and team_id = (select private.service_team_id())$q$, r);
    svc_write := 'false';
  when 'profile' then
    anon_read := 'false';
    member_read := $q$id = (select private.uid()) or id = any ((select private.my_teammate_ids())::pg_catalog.uuid[])$q$;
    member_write := $q$id = (select private.uid())$q$;
    svc_read := 'false';
    svc_write := 'false';
  when 'invitation' then
    anon_read := 'false';
    -- Owners see their teams' invitations (history included); an invitee sees their own pending ones.
    member_read := $q$team_id = any ((select private.my_owned_team_ids())::pg_catalog.uuid[])
      or ((invitee_user_id = (select private.uid()) or invitee_email = (select private.email()))
          and accepted_at is null and revoked_at is null and expires_at > pg_catalog.now())$q$;
    member_write := $q$team_id = any ((select private.my_owned_team_ids())::pg_catalog.uuid[])$q$;
    svc_read := 'false';
    svc_write := 'false';
  else
    raise exception 'apply_access_policies: unknown kind %', kind using errcode = '22023';
  end case;
  member_insert := coalesce(member_insert, member_write);

  insert into private.access_registry (table_name, resource, kind) values (tbl, resource, kind)
  on conflict (table_name) do update set resource = excluded.resource, kind = excluded.kind;

  execute pg_catalog.format('alter table %s enable row level security', rel);
  -- Explicit grants; nothing inherited from default privileges.
  execute pg_catalog.format('revoke all on %s from public, anon, authenticated, cryo_service, service_role', rel);
  execute pg_catalog.format('grant select on %s to anon', rel);
  execute pg_catalog.format('grant select, insert, update, delete on %s to authenticated, cryo_service, service_role', rel);

  for pol in select p.polname from pg_catalog.pg_policy p where p.polrelid = tbl loop
    execute pg_catalog.format('drop policy %I on %s', pol, rel);
  end loop;

  execute pg_catalog.format('create policy %I on %s for select to anon using (%s)', base || '_anon_select', rel, anon_read);
  execute pg_catalog.format('create policy %I on %s for select to authenticated using (%s)', base || '_member_select', rel, member_read);
  execute pg_catalog.format('create policy %I on %s for insert to authenticated with check (%s)', base || '_member_insert', rel, member_insert);
  execute pg_catalog.format('create policy %I on %s for update to authenticated using (%s) with check (%s)', base || '_member_update', rel,
    member_write, member_write);
  execute pg_catalog.format('create policy %I on %s for delete to authenticated using (%s)', base || '_member_delete', rel, member_write);
  execute pg_catalog.format('create policy %I on %s for select to cryo_service using (%s)', base || '_service_select', rel, svc_read);
  execute pg_catalog.format('create policy %I on %s for insert to cryo_service with check (%s)', base || '_service_insert', rel, svc_write);
  execute pg_catalog.format('create policy %I on %s for update to cryo_service using (%s) with check (%s)', base || '_service_update', rel,
    svc_write, svc_write);
  execute pg_catalog.format('create policy %I on %s for delete to cryo_service using (%s)', base || '_service_delete', rel, svc_write);
  -- Every registered table is audited: one event per row change.
  perform audit.attach_row_trigger(tbl);
end
$$;
comment on function private.apply_access_policies(pg_catalog.regclass, pg_catalog.text, pg_catalog.text) is
  'Writes the standard RLS policy set, grants and audit trigger of a public table from its row model; the only place policies are made.';
revoke execute on function private.apply_access_policies(pg_catalog.regclass, pg_catalog.text, pg_catalog.text)
  from public, anon, authenticated, cryo_service;

/** --- Reading and the one event API roles may write --- */

/**
 * private.record_request_denied(p_reason text, p_detail jsonb default null) returns void
 * Records a 'request_denied' event with the caller's claims (sub, role, client_id, jti, scopes, the
 * service client's team) and the request id. The event type is fixed: a caller cannot forge any other.
 * The reason is cut to 200 characters and a detail over 4 kB is replaced by {"truncated": true}, so the
 * log cannot be inflated row by row. Callable by anon, authenticated and cryo_service.
 */
create or replace function private.record_request_denied(p_reason pg_catalog.text, p_detail pg_catalog.jsonb default null)
returns void
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  claims pg_catalog.jsonb := private.request_claims();
begin
  perform audit.log_event('request_denied', claims ->> 'client_id', private.service_team_id(), claims ->> 'jti',
    pg_catalog.string_to_array(nullif(pg_catalog.btrim(claims ->> 'scope'), ''), ' '),
    pg_catalog.jsonb_build_object('reason', pg_catalog.left(coalesce(p_reason, ''), 200),
      'detail', case when pg_catalog.octet_length(p_detail::pg_catalog.text) > 4096 then '{"truncated": true}'::pg_catalog.jsonb else p_detail end));
end
$$;
comment on function private.record_request_denied(pg_catalog.text, pg_catalog.jsonb) is
  'Records a request_denied audit event (fixed type) with the caller''s claims; reason ≤ 200 chars, detail ≤ 4 kB.';
revoke execute on function private.record_request_denied(pg_catalog.text, pg_catalog.jsonb) from public, anon, authenticated, cryo_service;
grant execute on function private.record_request_denied(pg_catalog.text, pg_catalog.jsonb) to anon, authenticated, cryo_service;

/**
 * private.team_audit_events(p_team_id uuid, p_before_id bigint default null, p_limit int default 100)
 *   returns table (the columns of audit.events)
 * One team's events, newest first (id descending), keyset-paged: pass the smallest id of a page as
 * p_before_id for the next one. p_limit is clamped to 1..1000 (null: 100). Who gets rows:
 *   - authenticated: owners of p_team_id;
 *   - cryo_service: a token with scope audit:read whose team_id claim is p_team_id;
 *   - the project's own roles (postgres, for tools): any team.
 * Everyone else, and every other team, gets no rows (never an error: it tells nothing about the team).
 */
create or replace function private.team_audit_events(p_team_id pg_catalog.uuid, p_before_id pg_catalog.int8 default null,
  p_limit pg_catalog.int4 default 100)
returns table (id pg_catalog.int8, occurred_at pg_catalog.timestamptz, event_type pg_catalog.text, table_name pg_catalog.text,
               operation pg_catalog.text, row_pk pg_catalog.jsonb, changed pg_catalog.jsonb, actor_sub pg_catalog.text,
               actor_role pg_catalog.text, client_id pg_catalog.text, jti pg_catalog.text, scopes pg_catalog.text[],
               request_id pg_catalog.text, team_id pg_catalog.uuid, txid pg_catalog.int8, detail pg_catalog.jsonb)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select e.id, e.occurred_at, e.event_type, e.table_name, e.operation, e.row_pk, e.changed, e.actor_sub, e.actor_role,
         e.client_id, e.jti, e.scopes, e.request_id, e.team_id, e.txid, e.detail
  from audit.events e
  where e.team_id = p_team_id
    and (p_before_id is null or e.id < p_before_id)
    -- One uncorrelated subquery: evaluated once (an InitPlan), not per row.
    and (select (r.role_name = 'authenticated' and p_team_id = any (private.my_owned_team_ids()))
             or (r.role_name = 'cryo_service' and private.service_has_scope('audit', 'read') and p_team_id = private.service_team_id())
             or private.is_project_role(r.role_name)
         from (select audit.caller_role() as role_name) r)
  order by e.id desc
  limit least(greatest(coalesce(p_limit, 100), 1), 1000)
$$;
comment on function private.team_audit_events(pg_catalog.uuid, pg_catalog.int8, pg_catalog.int4) is
  'A team''s audit events newest first, keyset-paged (p_before_id); owners, audit:read service clients of the team, project roles; else no rows.';
revoke execute on function private.team_audit_events(pg_catalog.uuid, pg_catalog.int8, pg_catalog.int4) from public, anon, authenticated, cryo_service;
grant execute on function private.team_audit_events(pg_catalog.uuid, pg_catalog.int8, pg_catalog.int4) to authenticated, cryo_service;
