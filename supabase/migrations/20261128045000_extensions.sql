/**
 * Extensions the migrations use, created the way a new hosted project allows (the `postgres` role may create
 * the extensions of supautils.privileged_extensions; supautils puts pg_cron in pg_catalog whatever schema is
 * named, so it is named here to behave the same locally).
 *   pg_cron  - schedules of the catalogue views (20261128060400) and the integrity check (20261128060500).
 * Already on every new project, used as is: pgcrypto, uuid-ossp, pg_stat_statements (schema `extensions`).
 * Tools create their own: pgtap (the pgTAP runner, like `supabase test db`), plpgsql_check (`supabase db lint`).
 * The timestamp is earlier than the other migrations on purpose: it must run before the first cron.schedule
 * (the stack and `supabase db push --include-all` apply it on databases made before it was added).
 */
create extension if not exists pg_cron with schema pg_catalog;
