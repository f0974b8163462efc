/**
 * CryoProtect: the access model learns two things the toxicity tables need (issue 10)
 * ---------------------------------------------------------------------------------------------------------
 * - A scope action `import`: `toxicity:import` lets a service client run imports (it does not imply read;
 *   write implies read as before). private.service_has_scope(resource, 'import') answers it.
 * - A row model `import_log` for bookkeeping rows that only the import definers write (import jobs and
 *   their rejected rows): the row's team reads them, and so does a service client of that team holding
 *   <resource>:read or <resource>:import; nobody writes them through the Data API, so nobody can forge a
 *   job's counts. Every other model is unchanged: apply_access_policies() is re-created with one more
 *   branch, and re-applied to every registered table at the end.
 */

/**
 * private.service_has_scope(resource text, action text) returns boolean
 * Whether the token's `scope` claim grants <resource>:<action>: read (granted by :read or :write), write
 * (by :write), import (by :import only). Reads only the request's claims; not a definer.
 */
create or replace function private.service_has_scope(resource pg_catalog.text, action pg_catalog.text)
returns pg_catalog.bool
language sql
stable
security invoker
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(
    pg_catalog.string_to_array(nullif(pg_catalog.btrim(private.request_claims() operator(pg_catalog.->>) 'scope'), ''), ' ')
      operator(pg_catalog.&&) case action
           when 'read' then array[resource operator(pg_catalog.||) ':read', resource operator(pg_catalog.||) ':write']
           when 'write' then array[resource operator(pg_catalog.||) ':write']
           when 'import' then array[resource operator(pg_catalog.||) ':import']
           else array[]::pg_catalog.text[]
         end,
    false)
$$;
comment on function private.service_has_scope(pg_catalog.text, pg_catalog.text) is
  'Whether the token scope claim grants <resource>:<action> (read: :read or :write; write: :write; import: :import).';

alter table private.access_registry drop constraint access_registry_kind_check;
alter table private.access_registry add constraint access_registry_kind_check
  check (kind in ('team_data', 'reference', 'team', 'membership', 'profile', 'invitation', 'import_log'));

/**
 * private.apply_access_policies(tbl regclass, resource text, kind text default 'team_data') returns void
 * As in 20261130040200_grants_follow_policies.sql, plus the row model 'import_log' (see above).
 *   select private.apply_access_policies('public.toxicity_import_jobs', 'toxicity', 'import_log');
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
  when 'import_log' then
    -- Written only by the import definers; the team reads its own, and so does its importing client.
    anon_read := 'false';
    member_read := $q$team_id = any ((select private.my_team_ids())::pg_catalog.uuid[])$q$;
    member_write := 'false';
    svc_read := pg_catalog.format($q$((select private.service_has_scope(%s, 'read')) or (select private.service_has_scope(%s, 'import'))) and team_id = (select private.service_team_id())$q$, r, r);
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
  execute pg_catalog.format('grant select on %s to anon, authenticated, cryo_service', rel);
  execute pg_catalog.format('grant select, insert, update, delete on %s to service_role', rel);
  -- A write privilege only where the role's policy for it is not `false`: LOCK TABLE above ROW SHARE needs
  -- nothing more than one of them, and RLS does not apply to LOCK.
  if member_insert <> 'false' then
    execute pg_catalog.format('grant insert on %s to authenticated', rel);
  end if;
  if member_write <> 'false' then
    execute pg_catalog.format('grant update, delete on %s to authenticated', rel);
  end if;
  if svc_write <> 'false' then
    execute pg_catalog.format('grant insert, update, delete on %s to cryo_service', rel);
  end if;

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

select private.apply_access_policies(r.table_name, r.resource, r.kind) from private.access_registry r order by r.table_name::pg_catalog.text;
