/**
 * Threat: one API client stops every other caller's reads (or writes) of a table. LOCK TABLE needs only
 * UPDATE, DELETE or TRUNCATE privilege for SHARE mode and above (ROW EXCLUSIVE: INSERT too), and RLS does
 * not apply to it: with blanket write grants, authenticated and cryo_service could take ACCESS EXCLUSIVE on
 * every public table and, with their own statement and idle timeouts turned off (SET LOCAL), hold it for as
 * long as they liked. Now an API role holds a write privilege on a table only where one of its policies can
 * let it write, so it cannot lock any other table above ACCESS SHARE.
 * Residual (stated, not refused here): a role that may write a table can still lock it, since only removing
 * the grant refuses LOCK. The last assertion lists exactly those pairs; pooler-side timeouts bound how long
 * any pooled transaction holds a lock (docs/security-sql.md, "Table locks").
 */
begin;
select plan(7);

create temporary table lock_pairs on commit drop as
select r.role_name, pg_catalog.format('public.%I', c.relname) as tbl,
  exists (
    select from pg_catalog.pg_policy p
    where p.polrelid = c.oid and (select o.oid from pg_catalog.pg_roles o where o.rolname = r.role_name) = any (p.polroles)
      and p.polcmd in ('a', 'w', 'd', '*')
      and coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), pg_catalog.pg_get_expr(p.polqual, p.polrelid)) <> 'false'
  ) as may_write
from unnest(array['anon', 'authenticated', 'cryo_service']) r (role_name)
cross join pg_catalog.pg_class c
where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p');

-- the catalog: write privileges follow the policies
select is_empty($$
  select role_name || ' holds ' || privilege || ' on ' || tbl
  from lock_pairs cross join unnest(array['INSERT', 'UPDATE', 'DELETE']) privilege
  where pg_catalog.has_table_privilege(role_name, tbl::regclass, privilege)
    and not exists (
      select from pg_catalog.pg_policy p
      where p.polrelid = tbl::regclass and (select o.oid from pg_catalog.pg_roles o where o.rolname = role_name) = any (p.polroles)
        and p.polcmd in (case privilege when 'INSERT' then 'a' when 'UPDATE' then 'w' else 'd' end, '*')
        and coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), pg_catalog.pg_get_expr(p.polqual, p.polrelid)) <> 'false'
    )$$,
  'no API role holds INSERT, UPDATE or DELETE on a table where its policy for that command is `false`');
select is_empty($$
  select role_name || ' holds TRUNCATE on ' || tbl from lock_pairs where pg_catalog.has_table_privilege(role_name, tbl::regclass, 'TRUNCATE')$$,
  'no API role holds TRUNCATE on any public table');

-- LOCK, as each API role, on every table it may not write
select is_empty($$
  select role_name || ' locks ' || tbl from lock_pairs
  where not may_write
    and tests.error_as(role_name, '{}', pg_catalog.format('lock table %s in access exclusive mode nowait', tbl)) not like '42501:%'$$,
  'no API role can lock a table it may not write against every reader (ACCESS EXCLUSIVE: 42501)');
select is_empty($$
  select role_name || ' locks ' || tbl from lock_pairs
  where not may_write
    and tests.error_as(role_name, '{}', pg_catalog.format('lock table %s in share mode nowait', tbl)) not like '42501:%'$$,
  'no API role can lock a table it may not write against every writer (SHARE: 42501)');
select is_empty($$
  select role_name || ' locks ' || tbl from lock_pairs
  where (role_name = 'anon' or tbl = 'public.property_types')
    and tests.error_as(role_name, '{}', pg_catalog.format('lock table %s in row exclusive mode nowait', tbl)) not like '42501:%'$$,
  'anon locks no table, and nobody locks the reference data, even in ROW EXCLUSIVE mode');
select is(
  (select array_agg(tbl order by tbl) from lock_pairs where role_name = 'cryo_service' and may_write),
  (select array_agg(pg_catalog.format('public.%I', c.relname) order by pg_catalog.format('public.%I', c.relname)) from private.access_registry r join pg_catalog.pg_class c on c.oid = r.table_name where r.kind = 'team_data'),
  'cryo_service may write (and so lock) only the team-data tables');

-- the residual: exactly the tables a role may write are the tables it can lock
select is_empty($$
  select role_name || ' on ' || tbl || ': may write ' || may_write from lock_pairs
  where may_write is distinct from
    (tests.error_as(role_name, '{}', pg_catalog.format('lock table %s in access exclusive mode nowait', tbl)) = 'no error')$$,
  'an API role can take ACCESS EXCLUSIVE on a table exactly when it may write it (the residual the pooler''s timeouts bound)');

select * from finish();
rollback;
