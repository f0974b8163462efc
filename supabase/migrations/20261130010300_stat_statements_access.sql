/**
 * CryoProtect: pg_stat_statements out of the API roles' reach (issue 7, item 7, SQL side)
 * ---------------------------------------------------------------------------------------------------------
 * pg_stat_statements holds one entry per statement text: whatever a statement carries inline (claims,
 * values) is readable by every role that may select the view and runs as the same database role. The
 * extension's script grants SELECT on its views (and EXECUTE on the function behind them) to PUBLIC, as
 * the extension's owner; only that owner (or a superuser) can take the grant back.
 *
 * So the revoke runs where the migration's role owns the objects and is skipped with a notice elsewhere,
 * never failing a deploy. On hosted Supabase the extension belongs to `supabase_admin`; `postgres` holds
 * ALL WITH GRANT OPTION of its own (supabase/postgres migration 20230224042246) but cannot revoke
 * supabase_admin's grant to PUBLIC, so there (as in the local emulation) the views stay readable by
 * anon/authenticated and the real protection is keeping identity and values out of statement text (the
 * database module's job). docs/security-sql.md states what holds where; 12-stat-statements.sql tests it.
 */
do $$
declare
  obj pg_catalog.regclass;
  fn pg_catalog.regprocedure := pg_catalog.to_regprocedure('extensions.pg_stat_statements(boolean)');
begin
  foreach obj in array array[pg_catalog.to_regclass('extensions.pg_stat_statements'),
                             pg_catalog.to_regclass('extensions.pg_stat_statements_info')] loop
    continue when obj is null;
    if pg_catalog.pg_has_role(current_user, (select c.relowner from pg_catalog.pg_class c where c.oid = obj), 'usage') then
      execute pg_catalog.format('revoke all on %s from public, anon, authenticated, cryo_service', obj);
    else
      raise notice 'stat_statements_access: % does not own %; its grant to PUBLIC stays', current_user, obj;
    end if;
  end loop;
  if fn is not null then
    if pg_catalog.pg_has_role(current_user, (select p.proowner from pg_catalog.pg_proc p where p.oid = fn), 'usage') then
      execute pg_catalog.format('revoke all on function %s from public, anon, authenticated, cryo_service', fn);
    else
      raise notice 'stat_statements_access: % does not own %; its grant to PUBLIC stays', current_user, fn;
    end if;
  end if;
end
$$;
