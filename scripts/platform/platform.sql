-- Emulation of what a hosted Supabase project already has before any migration of ours runs.
-- Applied by scripts/stack.mjs as the bootstrap superuser `supabase_admin`; idempotent; never part of
-- supabase/migrations (hosted projects have all of this already).
-- Sources: supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql, 00000000000003-post-setup.sql,
-- 10000000000000_demote-postgres.sql, 20221028101028_set_authenticator_timeout.sql,
-- 20230529180330_alter_api_roles_for_inherit.sql; supabase/auth
-- migrations/20240624145325_recreate_auth_functions.up.sql.

/** --- Roles --- */
do $$
begin
  -- On the platform `postgres` is not a superuser; migrations run as it, so here too.
  if not exists (select from pg_roles where rolname = 'postgres') then
    create role postgres;
  end if;
  alter role postgres with nosuperuser createdb createrole login replication bypassrls password 'postgres';

  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
  if not exists (select from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
  alter role anon inherit;
  alter role authenticated inherit;
  alter role service_role inherit;

  if not exists (select from pg_roles where rolname = 'authenticator') then create role authenticator login noinherit; end if;
  if not exists (select from pg_roles where rolname = 'supabase_auth_admin') then create role supabase_auth_admin login noinherit createrole; end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
grant pg_read_all_stats to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

/** --- Database --- */
-- Hosted projects: the database belongs to `postgres` (migrations/db/migrate.sh) and the search path is a
-- per-role setting (init-scripts/00000000000003-post-setup.sql), not a database one.
alter database postgres owner to postgres;
grant all on database postgres to postgres;
alter database postgres reset search_path;
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_admin set search_path = "$user", public, auth, extensions;
-- Predefined roles granted to postgres on hosted (20230306081037, 20240606060239).
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;
-- PostgREST's exposed schemas; the advisors' exposed-schema lints read this setting.
alter database postgres set pgrst.db_schemas = 'public,graphql_public';
alter role authenticator set pgrst.db_schemas = 'public,graphql_public';

alter schema public owner to postgres;
grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public grant all on sequences to postgres, anon, authenticated, service_role;

/** --- Extensions ---
 * Exactly what a new hosted project has (supabase/postgres migrations/schema-15.sql): pg_stat_statements,
 * pgcrypto and uuid-ossp in `extensions` (pgjwt, pgsodium, pg_graphql and vault are not installed here;
 * nothing of ours uses them). pg_cron, pgtap, plpgsql_check and hypopg do NOT exist until a migration or a
 * tool creates them, which `postgres` may do for the extensions supautils allows (see supautils below). */
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to postgres;
create extension if not exists pg_stat_statements with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
-- 20230224042246_grant_extensions_perms_for_postgres.sql
grant all privileges on all tables in schema extensions to postgres with grant option;
grant all privileges on all routines in schema extensions to postgres with grant option;
grant all privileges on all sequences in schema extensions to postgres with grant option;
alter default privileges in schema extensions grant all on tables to postgres with grant option;
alter default privileges in schema extensions grant all on routines to postgres with grant option;
alter default privileges in schema extensions grant all on sequences to postgres with grant option;

/** --- auth --- */
create schema if not exists auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role, postgres, supabase_auth_admin;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255) unique,
  phone text unique,
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  raw_app_meta_data jsonb default '{}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  is_anonymous boolean not null default false,
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
alter table auth.users owner to supabase_auth_admin;
grant all on auth.users to postgres, service_role;

create or replace function auth.uid() returns uuid
language sql stable set search_path to ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable set search_path to ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable set search_path to ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable set search_path to ''
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to anon, authenticated, service_role, postgres;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;

/** --- graphql_public (exposed on the platform; empty here) --- */
create schema if not exists graphql_public;
grant usage on schema graphql_public to anon, authenticated, service_role;

/** --- supautils, emulated ---
 * On hosted projects the supautils library (ansible/files/postgresql_config/supautils.conf.j2) lets the
 * non-superuser `postgres` create the extensions of `supautils.privileged_extensions` (running their script as
 * the superuser supabase_admin, pg_cron forced into pg_catalog, then the after-create script of
 * ansible/files/postgresql_extension_custom_scripts/<ext>/), refuses every other extension, and refuses any
 * change to reserved roles and reserved memberships. Without the library the same rules are reproduced here:
 *  - extensions: an event trigger owned by the bootstrap superuser. At ddl_command_start of CREATE EXTENSION
 *    run by `postgres` it makes `postgres` superuser for that one statement (a catalog change of the running
 *    transaction only: no other session ever sees it); at ddl_command_end it takes the superuser away again,
 *    refuses (raise: the whole statement rolls back) any new extension not on the list, gives the new
 *    extension's objects to supabase_admin as supautils does, and runs the after-create grants.
 *  - reserved roles and memberships: role DDL fires no event trigger, so the stack compares the reserved roles'
 *    attributes, settings and memberships with the baseline recorded here, after every `migration up`
 *    (scripts/stack.mjs), and fails the start naming the rule.
 * Nothing here is reachable by API roles: the schema grants nothing to anyone. */
create schema if not exists platform_emulation authorization supabase_admin;
revoke all on schema platform_emulation from public;

create or replace function platform_emulation.privileged_extensions() returns text[]
language sql immutable set search_path = pg_catalog, pg_temp
as $$
  -- supautils.privileged_extensions of supabase/postgres ansible/files/postgresql_config/supautils.conf.j2
  select pg_catalog.string_to_array(pg_catalog.replace(
    'address_standardizer, address_standardizer_data_us, autoinc, bloom, btree_gin, btree_gist, citext, cube, '
    'dblink, dict_int, dict_xsyn, earthdistance, fuzzystrmatch, hstore, http, hypopg, index_advisor, '
    'insert_username, intarray, isn, ltree, moddatetime, orioledb, pg_cron, pg_graphql, pg_hashids, '
    'pg_jsonschema, pg_net, pg_partman, pg_repack, pg_stat_monitor, pg_stat_statements, pg_tle, pg_trgm, '
    'pg_walinspect, pgaudit, pgcrypto, pgjwt, pg_prewarm, pgmq, pgroonga, pgroonga_database, pgrouting, '
    'pgrowlocks, pgstattuple, pgsodium, pgtap, plcoffee, pljava, plls, plpgsql, plpgsql_check, plv8, postgis, '
    'postgis_raster, postgis_sfcgal, postgis_tiger_geocoder, postgis_topology, postgres_fdw, refint, rum, seg, '
    'sslinfo, supabase_vault, supautils, tablefunc, tcn, timescaledb, tsm_system_rows, tsm_system_time, '
    'unaccent, uuid-ossp, vector, wrappers', ' ', ''), ',')
$$;

create or replace function platform_emulation.before_create_extension() returns event_trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp
as $$
begin
  -- Only the platform's privileged role gets the supautils treatment; anyone else meets plain Postgres rules.
  -- (current_user is the definer here: the caller is the session's user, with no SET ROLE in force.)
  if session_user <> 'postgres' or pg_catalog.current_setting('role') <> 'none'
     or (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = 'postgres') then
    return;
  end if;
  -- The extension's script is about to run as a superuser, and Postgres looks up relations and types in the
  -- session's temporary schema first: objects planted there could run code with those rights. None allowed.
  if pg_catalog.pg_my_temp_schema() <> 0 and (
       exists (select from pg_catalog.pg_class c where c.relnamespace = pg_catalog.pg_my_temp_schema())
    or exists (select from pg_catalog.pg_type t where t.typnamespace = pg_catalog.pg_my_temp_schema())
    or exists (select from pg_catalog.pg_proc p where p.pronamespace = pg_catalog.pg_my_temp_schema())) then
    raise exception 'CREATE EXTENSION refused: this session has temporary objects'
      using errcode = 'insufficient_privilege',
        detail = 'The local platform emulation runs extension scripts with superuser rights; temporary objects could take over names they use.',
        hint = 'Create extensions in a session (a migration) without temporary tables, types or functions.';
  end if;
  perform pg_catalog.set_config('platform_emulation.extensions_before',
    (select coalesce(pg_catalog.string_agg(e.oid::text, ','), '') from pg_catalog.pg_extension e), true);
  perform pg_catalog.set_config('platform_emulation.elevated', 'on', true);
  alter role postgres with superuser;
end
$$;

create or replace function platform_emulation.after_create_extension() returns event_trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp
as $$
declare
  ext record;
  obj record;
  allowed text[] := platform_emulation.privileged_extensions();
  before oid[];
  stmt text;
begin
  -- The flag is a custom setting any role may set: only a postgres session (the only one the before-trigger
  -- elevates) gets past here, so no other login (the API's, through the pooler) drives this superuser body.
  if session_user <> 'postgres'
     or pg_catalog.current_setting('platform_emulation.elevated', true) is distinct from 'on' then
    return;
  end if;
  perform pg_catalog.set_config('platform_emulation.elevated', 'off', true);
  alter role postgres with nosuperuser;
  before := pg_catalog.string_to_array(nullif(pg_catalog.current_setting('platform_emulation.extensions_before', true), ''), ',')::oid[];
  for ext in
    select e.oid, e.extname, e.extnamespace::regnamespace::text as schema
    from pg_catalog.pg_extension e where e.oid <> all (coalesce(before, '{}'))
  loop
    if not ext.extname = any (allowed) then
      raise exception 'extension "%" is not available to the postgres role on Supabase', ext.extname
        using errcode = 'insufficient_privilege',
          detail = 'Hosted projects let migrations (run as postgres) create only the extensions of supautils.privileged_extensions.',
          hint = 'Use an extension from that list (https://supabase.com/docs/guides/database/extensions) or do the work in an edge function.';
    end if;
    if ext.extname = 'pg_cron' and ext.schema <> 'pg_catalog' then
      raise exception 'pg_cron must be created with schema pg_catalog'
        using errcode = 'invalid_schema_name',
          detail = 'supautils places pg_cron in pg_catalog on hosted projects (extensions_parameter_overrides).',
          hint = 'create extension if not exists pg_cron with schema pg_catalog;';
    end if;
    -- supautils runs the script as supabase_admin, so the objects are supabase_admin's, not the caller's.
    for obj in
      select d.classid::regclass::text as cls, d.objid from pg_catalog.pg_depend d
      where d.refclassid = 'pg_catalog.pg_extension'::regclass and d.refobjid = ext.oid and d.deptype = 'e'
    loop
      stmt := case obj.cls
        when 'pg_namespace' then
          (select pg_catalog.format('alter schema %I owner to supabase_admin', n.nspname)
           from pg_catalog.pg_namespace n where n.oid = obj.objid)
        when 'pg_proc' then pg_catalog.format('alter routine %s owner to supabase_admin', obj.objid::regprocedure)
        when 'pg_class' then
          (select pg_catalog.format('alter %s %s owner to supabase_admin',
              case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table'
                when 'S' then 'sequence' else 'table' end, c.oid::regclass)
           from pg_catalog.pg_class c
           where c.oid = obj.objid and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
             and not exists (select from pg_catalog.pg_depend a where a.classid = 'pg_catalog.pg_class'::regclass
                               and a.objid = c.oid and a.deptype in ('a', 'i')))
        when 'pg_type' then
          (select pg_catalog.format('alter type %s owner to supabase_admin', t.oid::regtype)
           from pg_catalog.pg_type t where t.oid = obj.objid and t.typrelid = 0 and t.typtype in ('d', 'e', 'r', 'm'))
        when 'pg_operator' then pg_catalog.format('alter operator %s owner to supabase_admin', obj.objid::regoperator)
        -- indexes, owned sequences and row types follow their table; casts have no owner
        else null
      end;
      if stmt is not null then
        execute stmt;
      end if;
    end loop;
    update pg_catalog.pg_extension set extowner = 'supabase_admin'::regrole where oid = ext.oid;
    -- Objects in `extensions` are postgres's to use and grant on hosted (default privileges of the schema).
    if ext.schema = 'extensions' then
      grant all privileges on all tables in schema extensions to postgres with grant option;
      grant all privileges on all routines in schema extensions to postgres with grant option;
      grant all privileges on all sequences in schema extensions to postgres with grant option;
    end if;
    -- ansible/files/postgresql_extension_custom_scripts/pg_cron/after-create.sql
    if ext.extname = 'pg_cron' then
      grant usage on schema cron to postgres with grant option;
      grant all on all functions in schema cron to postgres with grant option;
      alter default privileges for user supabase_admin in schema cron grant all on sequences to postgres with grant option;
      alter default privileges for user supabase_admin in schema cron grant all on tables to postgres with grant option;
      alter default privileges for user supabase_admin in schema cron grant all on functions to postgres with grant option;
      grant all privileges on all tables in schema cron to postgres with grant option;
      revoke all on table cron.job from postgres;
      grant select on table cron.job to postgres with grant option;
    end if;
  end loop;
end
$$;

revoke all on function platform_emulation.before_create_extension(), platform_emulation.after_create_extension(),
  platform_emulation.privileged_extensions() from public;

drop event trigger if exists platform_emulation_before_create_extension;
drop event trigger if exists platform_emulation_after_create_extension;
create event trigger platform_emulation_before_create_extension on ddl_command_start
  when tag in ('CREATE EXTENSION') execute function platform_emulation.before_create_extension();
create event trigger platform_emulation_after_create_extension on ddl_command_end
  when tag in ('CREATE EXTENSION') execute function platform_emulation.after_create_extension();

/* Reserved roles (supautils.reserved_roles: names ending in * may have their settings changed by postgres,
 * e.g. `alter role authenticated set statement_timeout`; nothing else about any of them) and reserved
 * memberships (supautils.reserved_memberships: nobody may be granted these roles by a migration). */
create or replace function platform_emulation.reserved_state() returns table (item text, state text)
language sql stable set search_path = pg_catalog, pg_temp
as $$
  with reserved(name, settings_allowed) as (values
    ('supabase_admin', false), ('supabase_auth_admin', false), ('supabase_storage_admin', false),
    ('supabase_read_only_user', false), ('supabase_replication_admin', false), ('dashboard_user', false),
    ('pgbouncer', false), ('service_role', true), ('authenticator', true), ('authenticated', true), ('anon', true)),
  memberships(name) as (values
    ('pg_read_server_files'), ('pg_write_server_files'), ('pg_execute_server_program'), ('authenticator'))
  select 'role ' || r.name,
    case when a.oid is null then 'absent' else pg_catalog.format(
      'super=%s inherit=%s createrole=%s createdb=%s login=%s replication=%s bypassrls=%s connlimit=%s validuntil=%s password=%s',
      a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin, a.rolreplication, a.rolbypassrls,
      a.rolconnlimit, a.rolvaliduntil, pg_catalog.md5(coalesce(a.rolpassword, ''))) end
  from reserved r left join pg_catalog.pg_authid a on a.rolname = r.name
  union all
  select 'settings of role ' || r.name, coalesce((select pg_catalog.array_to_string(s.setconfig, ', ')
    from pg_catalog.pg_db_role_setting s where s.setrole = a.oid), '')
  from reserved r join pg_catalog.pg_authid a on a.rolname = r.name where not r.settings_allowed
  union all
  select 'members of ' || m.name, coalesce((select pg_catalog.string_agg(x.member::regrole::text
      || case when x.admin_option then ' (with admin option)' else '' end, ', ' order by x.member::regrole::text)
    from pg_catalog.pg_auth_members x where x.roleid = a.oid), '')
  from memberships m join pg_catalog.pg_authid a on a.rolname = m.name
  union all
  select 'memberships of role ' || r.name, coalesce((select pg_catalog.string_agg(x.roleid::regrole::text, ', '
      order by x.roleid::regrole::text) from pg_catalog.pg_auth_members x where x.member = a.oid), '')
  from reserved r join pg_catalog.pg_authid a on a.rolname = r.name where not r.settings_allowed
$$;
revoke all on function platform_emulation.reserved_state() from public;

-- The baseline is what the platform made: recorded before the first migration, and again only when this file
-- changes (scripts/stack.mjs passes its hash as :platform_hash), so a migration that changed a reserved role is
-- reported at every start until the database is reset.
create table if not exists platform_emulation.reserved_baseline (item text primary key, state text not null);
create table if not exists platform_emulation.version (one boolean primary key default true check (one), hash text not null);
revoke all on platform_emulation.reserved_baseline, platform_emulation.version from public;
delete from platform_emulation.reserved_baseline
where not exists (select from platform_emulation.version v where v.hash = :'platform_hash');
insert into platform_emulation.reserved_baseline select * from platform_emulation.reserved_state()
on conflict (item) do nothing;
insert into platform_emulation.version (hash) values (:'platform_hash')
on conflict (one) do update set hash = excluded.hash;

/** The differences from the baseline, one line each (empty when the platform's rules held). */
create or replace function platform_emulation.reserved_violations() returns setof text
language sql stable set search_path = pg_catalog, pg_temp
as $$
  select pg_catalog.format('%s: was [%s], now [%s]', coalesce(b.item, s.item), coalesce(b.state, '(none)'), coalesce(s.state, '(none)'))
  from platform_emulation.reserved_baseline b full join platform_emulation.reserved_state() s on s.item = b.item
  where b.state is distinct from s.state
  order by 1
$$;
revoke all on function platform_emulation.reserved_violations() from public;
