-- Emulation of what a hosted Supabase project already has before any migration of ours runs.
-- Applied by scripts/stack.mjs as the bootstrap superuser `supabase_admin`; idempotent; never part of
-- supabase/migrations (hosted projects have all of this already).
-- Sources: supabase/postgres migrations/db/init-scripts/00000000000000-initial-schema.sql,
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
grant all on database postgres to postgres;
alter database postgres set search_path = "$user", public, extensions;
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
 * Hosted projects let `postgres` create these through supautils; without supautils only a superuser can,
 * so they are created here, in `extensions` as on the platform. A migration's `create extension if not
 * exists` then finds them. */
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to postgres;
create extension if not exists pg_stat_statements with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists plpgsql_check with schema extensions;
create extension if not exists pgtap with schema extensions;
create extension if not exists pg_cron with schema pg_catalog;
grant usage on schema cron to postgres;
grant all on all tables in schema cron to postgres;
grant all on all sequences in schema cron to postgres;
grant all on all functions in schema cron to postgres;
-- Writes to cron.job only through cron.schedule() (after-create script of supabase/postgres).
revoke all on cron.job from postgres;
grant select on cron.job to postgres;

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
