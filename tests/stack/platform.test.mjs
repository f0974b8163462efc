// The platform emulation (scripts/platform/platform.sql) on a throwaway cluster: it must hold exactly what a
// new hosted project holds before its first migration, and refuse, like supautils on hosted projects, what
// the `postgres` role may not do there. Migrations are applied the way `npm start` applies them
// (applyMigrations: `supabase migration up --include-all` as postgres, then the reserved-role check), from
// project folders made for each case (the CRYO_SUPABASE_WORKDIR pattern of stack.test.mjs).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/config.mjs";
import { asPostgres, StackError } from "../../scripts/lib/proc.mjs";
import { applyMigrations } from "../../scripts/lib/migrations.mjs";
import { bootstrapCluster } from "../../scripts/lib/platform.mjs";
import { pgCtl, psql } from "../../scripts/lib/postgres.mjs";

const root = mkdtempSync(join(tmpdir(), "cryo-platform-"));
const dirs = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let p;
before(async () => {
  const port = await freePort();
  p = {
    name: "platform-probe",
    ports: { db: port },
    root,
    pgdata: join(root, "pgdata"),
    run: join(root, "run"),
    dbUrl: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
  };
  await bootstrapCluster(p);
});

after(() => {
  if (p) asPostgres(pgCtl.bin, pgCtl.stop(p));
  rmSync(root, { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** One value from the probe, as the bootstrap superuser (or `user`). */
function q(sql, user = "supabase_admin") {
  const r = psql(p, sql, { user, extra: ["-At"] });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** A project folder with `config.toml`, the real migrations if `withOurs`, and the given extra migrations. */
function project(extra, withOurs = true) {
  const dir = mkdtempSync(join(tmpdir(), "cryo-platform-proj-"));
  dirs.push(dir);
  if (withOurs) cpSync(join(ROOT, "supabase"), join(dir, "supabase"), { recursive: true });
  else {
    mkdirSync(join(dir, "supabase/migrations"), { recursive: true });
    cpSync(join(ROOT, "supabase/config.toml"), join(dir, "supabase/config.toml"));
  }
  for (const [name, sql] of Object.entries(extra)) writeFileSync(join(dir, "supabase/migrations", name), sql);
  return dir;
}

function migrationError(workdir) {
  try {
    applyMigrations(p, workdir);
  } catch (e) {
    assert.ok(e instanceof StackError, String(e));
    return e.message;
  }
  assert.fail("the migration was expected to fail");
}

test("the platform alone is a new hosted project: pg_stat_statements, pgcrypto, uuid-ossp; no pg_cron, pgtap, plpgsql_check, hypopg", () => {
  assert.equal(
    q("select string_agg(extname || '@' || extnamespace::regnamespace, ',' order by extname) from pg_extension"),
    "pg_stat_statements@extensions,pgcrypto@extensions,plpgsql@pg_catalog,uuid-ossp@extensions",
  );
  assert.equal(q("select to_regnamespace('cron') is null"), "t", "no cron schema before a migration creates pg_cron");
  assert.equal(q("select rolsuper from pg_roles where rolname = 'postgres'"), "f", "postgres is not a superuser");
  assert.equal(
    q("select datdba::regrole from pg_database where datname = 'postgres'"),
    "postgres",
    "the database is postgres's",
  );
  assert.equal(q("show search_path", "postgres"), '"$user", public, extensions', "postgres's search_path as on hosted");
  assert.equal(
    q("select count(*) from pg_db_role_setting where setrole = 0 and array_to_string(setconfig, ',') like '%search_path%'"),
    "0",
    "no database-wide search_path (hosted sets it per role)",
  );
});

test("(a) a migration that uses cron without creating pg_cron fails, as on a new hosted project", () => {
  const msg = migrationError(project({
    "20261128060400_catalogue_views_alone.sql": "select cron.schedule('x', '* * * * *', $$select 1$$);\n",
  }, false));
  assert.match(msg, /migration failed: supabase\/migrations\/20261128060400_catalogue_views_alone\.sql/);
  assert.match(msg, /schema "cron" does not exist/);
});

test("pg_cron in another schema is refused with the statement to use (supautils moves it to pg_catalog on hosted)", () => {
  const r = psql(p, "create extension pg_cron with schema extensions", { user: "postgres" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /pg_cron must be created with schema pg_catalog/);
  assert.equal(q("select to_regnamespace('cron') is null"), "t", "nothing remains");
  assert.equal(q("select rolsuper from pg_roles where rolname = 'postgres'"), "f");
});

test("every migration of ours applies on it as postgres; pg_cron lands in pg_catalog as supabase_admin's, with the after-create grants", () => {
  applyMigrations(p, ROOT);
  assert.equal(
    q("select extnamespace::regnamespace || ' ' || extowner::regrole from pg_extension where extname = 'pg_cron'"),
    "pg_catalog supabase_admin",
  );
  assert.equal(q("select nspowner::regrole from pg_namespace where nspname = 'cron'"), "supabase_admin");
  assert.equal(
    q("select rolsuper from pg_roles where rolname = 'postgres'"),
    "f",
    "postgres is NOSUPERUSER afterwards",
  );
  assert.equal(q("select count(*) > 0 from cron.job", "postgres"), "t", "postgres reads cron.job (the schedules)");
  const w = psql(p, "insert into cron.job (schedule, command) values ('* * * * *', 'select 1')", { user: "postgres" });
  assert.notEqual(w.status, 0, "postgres writes cron.job only through cron.schedule()");
  assert.match(w.stderr, /permission denied for table job/);
});

test("tools create their own extensions as postgres: pgtap (the pgTAP runner) and plpgsql_check (db lint)", () => {
  q("create extension if not exists pgtap with schema extensions", "postgres");
  assert.equal(q("select extowner::regrole from pg_extension where extname = 'pgtap'"), "supabase_admin");
  q("begin; create extension if not exists plpgsql_check; rollback", "postgres");
  assert.equal(q("select rolsuper from pg_roles where rolname = 'postgres'"), "f");
});

test("(b) a migration creating an extension not on the platform's list fails, naming the rule; nothing remains", () => {
  const msg = migrationError(project({
    "29990101000000_unlisted_extension.sql":
      "create table public.half_written (id int);\ncreate extension pageinspect;\n",
  }));
  assert.match(msg, /migration failed: supabase\/migrations\/29990101000000_unlisted_extension\.sql/);
  assert.match(msg, /extension "pageinspect" is not available to the postgres role on Supabase/);
  assert.match(msg, /supautils\.privileged_extensions/);
  assert.equal(q("select count(*) from pg_extension where extname = 'pageinspect'"), "0");
  assert.equal(q("select to_regclass('public.half_written') is null"), "t");
  assert.equal(
    q("select rolsuper from pg_roles where rolname = 'postgres'"),
    "f",
    "the temporary superuser did not outlive the statement",
  );
  // Not even by hand, in a transaction of its own.
  const r = psql(p, "create extension file_fdw", { user: "postgres" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not available to the postgres role/);
});

test("the emulation gives nothing away: no extension script runs as superuser in a session with temporary objects, and SET ROLE gets no help", () => {
  const planted = psql(p, "create temp table shadow (id int); create extension plpgsql_check", { user: "postgres" });
  assert.notEqual(planted.status, 0);
  assert.match(planted.stderr, /CREATE EXTENSION refused: this session has temporary objects/);
  const viaRole = psql(p, "set role anon; create extension if not exists plpgsql_check", { user: "postgres" });
  assert.notEqual(viaRole.status, 0, "only postgres itself gets the platform's help");
  assert.match(viaRole.stderr, /permission denied to create extension "plpgsql_check"/);
  assert.equal(q("select count(*) from pg_extension where extname = 'plpgsql_check'"), "0");
  assert.equal(q("select rolsuper from pg_roles where rolname = 'postgres'"), "f");
  assert.equal(q("select count(*) from pg_roles where rolsuper"), "1", "supabase_admin is the only superuser");
});

test("an API role cannot drive the emulation's superuser event triggers by setting their custom flags (platform_emulation.*)", () => {
  // The after-create trigger runs as supabase_admin and trusts platform_emulation.elevated and
  // platform_emulation.extensions_before, which any role may set. `create extension if not exists` of an existing
  // extension needs no privilege and still fires the triggers, so anon could make supabase_admin run the body
  // (alter role postgres, ownership changes, grants) for extensions it picks.
  const extensionsBefore = q(
    "select string_agg(oid::text, ',') from pg_extension where extname <> 'pg_stat_statements'",
  );
  const r = psql(
    p,
    `begin;
set local role anon;
select pg_catalog.set_config('platform_emulation.extensions_before', '${extensionsBefore}', true),
       pg_catalog.set_config('platform_emulation.elevated', 'on', true);
create extension if not exists pg_stat_statements;
select 'flag:' || pg_catalog.current_setting('platform_emulation.elevated', true);
rollback;`,
    { user: "authenticator", extra: ["-At"] },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^flag:on$/m,
    "the superuser trigger body did not run for anon (it would have turned the flag off)",
  );
});

test("(c) a migration that alters a reserved role, or grants a reserved membership, fails the start naming the rule", async () => {
  const cases = {
    "29990102000000_alter_reserved_role.sql": [
      "alter role anon with login;\n",
      "alter role anon with nologin",
      /role anon: was \[.*login=f .*\], now \[.*login=t /,
    ],
    "29990103000000_reserved_membership.sql": [
      "grant authenticator to cryo_service;\n",
      "revoke authenticator from cryo_service",
      /members of authenticator: was \[\], now \[cryo_service\]/,
    ],
    "29990104000000_reserved_role_setting.sql": [
      "alter role supabase_auth_admin set statement_timeout = '1s';\n",
      "alter role supabase_auth_admin reset statement_timeout",
      /settings of role supabase_auth_admin/,
    ],
  };
  let first = true;
  for (const [name, [sql, undo, detail]] of Object.entries(cases)) {
    const dir = project({ [name]: sql });
    const msg = migrationError(dir);
    assert.match(
      msg,
      /a migration broke a platform rule: reserved roles and reserved memberships cannot be changed/,
      name,
    );
    assert.match(msg, /supautils\.reserved_roles/);
    assert.match(msg, detail, name);
    assert.match(msg, new RegExp(`migrations applied in this run: ${name.replace(".", "\\.")}$`), name);
    if (first) {
      // The next start (platform re-applied, nothing left to migrate) still fails: the change is not forgotten.
      await bootstrapCluster(p);
      const again = migrationError(dir);
      assert.match(again, /a migration broke a platform rule/);
      assert.match(again, /migrations applied in this run: \(none; the change was made earlier: npm run reset\)/);
      first = false;
    }
    q(undo); // the platform's own state again, for the next case
    q(`delete from supabase_migrations.schema_migrations where version = '${name.slice(0, 14)}'`);
  }
});

test("settings of the API roles stay a migration's to change (reserved_roles marked * on hosted)", () => {
  applyMigrations(
    p,
    project({ "29990105000000_api_role_timeout.sql": "alter role authenticated set statement_timeout = '9s';\n" }),
  );
  assert.match(
    q("select array_to_string(setconfig, ',') from pg_db_role_setting where setrole = 'authenticated'::regrole"),
    /statement_timeout=9s/,
  );
});
