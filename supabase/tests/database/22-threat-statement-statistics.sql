/**
 * Threat: statement statistics show one client's statements (and the values in them) to another.
 * pg_stat_statements and the API roles (issue 7, item 7, SQL side). The extension grants SELECT to PUBLIC
 * as its owner; migration 20261130010300 revokes it where the migration's role owns the extension and
 * leaves a notice elsewhere (hosted Supabase: the owner is supabase_admin; see docs/security-sql.md).
 * What must hold everywhere: no migration of ours grants it to an API role, no API role reads other
 * roles' statements, and the service role cannot read it at all.
 */
begin;
select plan(7);

select isnt(to_regclass('extensions.pg_stat_statements'), null, 'pg_stat_statements is installed in extensions (as on hosted projects)');

-- Where the extension belongs to a role the migrations run as, the grant to PUBLIC is gone.
select case when pg_has_role('postgres', (select relowner from pg_class where oid = 'extensions.pg_stat_statements'::regclass), 'usage')
  then is((select coalesce(array_agg(r order by r), '{}') from unnest(array['anon', 'authenticated', 'cryo_service']) r
           where has_table_privilege(r, 'extensions.pg_stat_statements', 'select')
              or has_table_privilege(r, 'extensions.pg_stat_statements_info', 'select')), '{}'::text[],
          'no API role may select pg_stat_statements or pg_stat_statements_info')
  else skip(format('pg_stat_statements belongs to %s, whose grant to PUBLIC postgres cannot revoke (as on hosted Supabase)',
                   (select relowner::regrole from pg_class where oid = 'extensions.pg_stat_statements'::regclass)), 1) end;

select is(
  (select coalesce(array_agg(format('%s: %s', c.relname, a.grantee::regrole) order by 1), '{}')
   from pg_class c cross join lateral aclexplode(c.relacl) a
   where c.oid in ('extensions.pg_stat_statements'::regclass, 'extensions.pg_stat_statements_info'::regclass)
     and a.grantee in ('anon'::regrole, 'authenticated'::regrole, 'cryo_service'::regrole, 'cryo_api'::regrole)),
  '{}'::text[], 'no API role holds a grant of its own on the statistics views');
select is(
  (select coalesce(array_agg(r order by r), '{}') from unnest(array['anon', 'authenticated', 'cryo_service', 'cryo_api']) r
   where pg_has_role(r, 'pg_read_all_stats', 'usage') or pg_has_role(r, 'pg_monitor', 'usage')),
  '{}'::text[], 'no API role can read other roles'' statement texts (no pg_read_all_stats, no pg_monitor)');
select is(left(tests.error_as('cryo_service', '{"scope": "molecules:read"}', 'select 1 from extensions.pg_stat_statements limit 1'), 5), '42501',
  'the scoped service role cannot read pg_stat_statements at all');

-- What authenticated could read today: only statements run as authenticated, never the project's own.
-- as authenticated
select tests.authenticate_as_role('authenticated');
select is(
  (select count(*)::int from extensions.pg_stat_statements s
   where s.userid <> 'authenticated'::regrole and s.query is not null and s.query <> '<insufficient privilege>'),
  0, 'authenticated sees no statement text of another role (the project owner''s included)');
select tests.clear_authentication();
select ok(not has_function_privilege('authenticated', 'extensions.pg_stat_statements_reset(oid, oid, bigint)', 'execute'),
  'API roles cannot reset the statistics');

select * from finish();
rollback;
