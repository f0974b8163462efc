/**
 * Threat: one API client stops every other caller's reads (or writes) of a table. LOCK TABLE needs only
 * UPDATE, DELETE or TRUNCATE privilege for every mode above ROW EXCLUSIVE, and RLS does not apply to it:
 * `authenticated` holds UPDATE on the team tables, so a client on the pooler can take ACCESS EXCLUSIVE on
 * public.molecules and, with its own statement and idle timeouts turned off (SET LOCAL), hold it for as
 * long as it likes: every reader, anon included, waits until its statement timeout. No API role may take
 * a lock that blocks other callers' reads (ACCESS EXCLUSIVE) or writes (SHARE) of a public table.
 */
begin;
select plan(2);

select is_empty($$
  select r.role_name || ' locks ' || c.oid::regclass
  from unnest(array['anon', 'authenticated', 'cryo_service']) r(role_name)
  cross join pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
    and tests.error_as(r.role_name, '{}', pg_catalog.format('lock table public.%I in access exclusive mode nowait', c.relname)) = 'no error'$$,
  'no API role can lock a public table against every reader (ACCESS EXCLUSIVE)');
select is_empty($$
  select r.role_name || ' locks ' || c.oid::regclass
  from unnest(array['anon', 'authenticated', 'cryo_service']) r(role_name)
  cross join pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
    and tests.error_as(r.role_name, '{}', pg_catalog.format('lock table public.%I in share mode nowait', c.relname)) = 'no error'$$,
  'no API role can lock a public table against every writer (SHARE)');

select * from finish();
rollback;
