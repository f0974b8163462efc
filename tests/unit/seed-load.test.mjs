// Loads the generated seed (supabase/seed.sql) into
// temporary databases on the running test stack: once on a stand-in for the data-model contract
// (tests/unit/fixtures/contract-schema.sql), once without it, once on a half-built schema. Skips, saying
// why, when no test stack is running (`npm test` always has one).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { pgBin } from "../../scripts/lib/proc.mjs";
import { generateSeedSql } from "../../scripts/seed/generate.mjs";
import { DemoFile, ReferenceFile } from "../../scripts/seed/schema.mjs";
import { loadVerifiedDataset } from "../../scripts/seed/verify.mjs";

const c = stackConfig("test");
const PSQL = pgBin("psql");
const SEED = join(ROOT, "supabase/seed.sql");
const SCHEMA = join(ROOT, "tests/unit/fixtures/contract-schema.sql");
const url = (db) => c.dbUrl.replace(/\/postgres$/, `/${db}`);

/** psql as `postgres` (the role seed.sql runs as), one transaction, stop on the first error. */
function psql(db, { sql, file, single = true }) {
  const args = ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", ...(single ? ["-1"] : []), "-d", url(db)];
  if (file) args.push("-f", file); else args.push("-c", sql);
  const r = spawnSync(PSQL, args, { encoding: "utf8", env: { ...process.env, PGCONNECT_TIMEOUT: "5" } });
  return { code: r.status, out: r.stdout ?? "", err: r.stderr ?? "" };
}
const must = (db, opts) => {
  const r = psql(db, opts);
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
};
const q = (db, sql) => must(db, { sql });

const up = psql("postgres", { sql: "select 1", single: false }).code === 0;
const skip = up ? false : `no test stack on port ${c.ports.db}: run CRYO_STACK=test npm start (with your CRYO_PORT_OFFSET) or npm test`;
const dbs = [];
const tag = `${process.pid}_${Date.now()}`;

function createDb(name) {
  const db = `seedcheck_${name}_${tag}`;
  must("postgres", { sql: `create database ${db}`, single: false });
  dbs.push(db);
  return db;
}

let seed;
let ref;
let demo;
before(async () => {
  if (skip) return;
  seed = await generateSeedSql();
  ref = await loadVerifiedDataset(join(ROOT, "scripts/seed/cpas.json"), ReferenceFile);
  demo = await loadVerifiedDataset(join(ROOT, "scripts/seed/demo.json"), DemoFile, { reference: ref });
});

after(() => {
  for (const db of dbs) psql("postgres", { sql: `drop database if exists ${db} with (force)`, single: false });
});

test("the seed loads on the contract schema and every row lands where the data files say", { skip }, () => {
  const db = createDb("contract");
  must(db, { file: SCHEMA });
  must(db, { file: SEED });

  assert.equal(Number(q(db, "select count(*) from public.molecules where visibility = 'public' and team_id is null")), ref.molecules.length, "public molecules");
  assert.equal(Number(q(db, "select count(*) from public.molecules where visibility = 'team'")), demo.molecules.length, "team molecules");
  assert.equal(Number(q(db, "select count(*) from public.mixtures where visibility = 'public'")), ref.mixtures.length, "public mixtures");
  assert.equal(Number(q(db, "select count(*) from public.mixtures where visibility = 'team'")), demo.mixtures.length, "team mixtures");
  assert.equal(Number(q(db, "select count(*) from public.mixture_components")), seed.counts.components, "components");
  assert.equal(Number(q(db, "select count(*) from public.molecular_properties")), seed.counts.properties, "properties");
  assert.equal(Number(q(db, "select count(*) from public.molecule_identifiers")), seed.counts.identifiers, "identifiers");
  assert.equal(Number(q(db, "select count(*) from public.property_types")), ref.propertyTypes.length, "property types");

  // Memberships as the issue states them, plus erin as Beta's owner; dave belongs to no team.
  assert.equal(q(db, `select string_agg(u.email || ':' || t.name || ':' || m.role, ',' order by u.email)
    from public.team_members m join public.teams t on t.id = m.team_id join auth.users u on u.id = m.user_id`),
  "alice@example.org:Alpha:owner,bob@example.org:Beta:editor,carol@example.org:Alpha:viewer,erin@example.org:Beta:owner");
  assert.equal(Number(q(db, "select count(*) from public.profiles")), demo.users.length, "a profile per demo user");

  // Each team's private rows carry that team, and its mixtures use only public or own-team molecules.
  assert.equal(q(db, `select string_agg(distinct t.name, ',') from public.molecules m join public.teams t on t.id = m.team_id`), "Alpha,Beta");
  assert.equal(Number(q(db, `select count(*) from public.mixture_components c join public.mixtures x on x.id = c.mixture_id
    where c.team_id is distinct from x.team_id or c.visibility is distinct from x.visibility`)), 0, "components inherit the mixture's owner");
  assert.equal(Number(q(db, `select count(*) from public.molecules where visibility = 'team' and created_by is null`)), 0, "demo rows name their creator");

  // Values survive the round trip: quotes, non-ASCII, arrays and numbers.
  assert.equal(q(db, "select synonyms[2] from public.molecules where name = 'diethylene glycol'"), "2,2'-oxydiethanol");
  assert.equal(q(db, "select name from public.molecules where inchikey = 'HDTRYLNUVZCQOY-LIZSDCNHSA-N'"), "α,α-trehalose");
  assert.equal(q(db, "select formula || ' ' || inchikey from public.molecules where name = 'ethanol'"), "C2H6O LFQSCWFLJHTTHZ-UHFFFAOYSA-N");
});

test("in the database, stated totals equal the sum of same-unit components (VS55, DP6, VS11, M22, Warner 2022)", { skip }, () => {
  const db = dbs.find((d) => d.startsWith("seedcheck_contract_"));
  const rows = q(db, `select x.name, x.total_concentration, sum(c.concentration)
    from public.mixtures x join public.mixture_components c on c.mixture_id = x.id
    where x.visibility = 'public' and x.total_unit is not null
      and not exists (select 1 from public.mixture_components o where o.mixture_id = x.id and o.unit <> x.total_unit)
    group by x.id order by x.name`).split("\n").map((l) => l.split("|"));
  assert.deepEqual(rows.map((r) => r[0]), ["DP6", "M22", "VS11", "VS55", "Warner 2022 optimum"]);
  for (const [name, total, sum] of rows) assert.equal(Number(sum), Number(total), `${name}: components sum to the stated total`);
  // Units are stored as published: no mixture was converted.
  assert.equal(q(db, `select string_agg(distinct unit, ',' order by unit) from public.mixture_components c
    join public.mixtures x on x.id = c.mixture_id where x.name = 'clinical vitrification medium'`), "% v/v,M");
});

test("without the data-model tables the seed still loads the demo users and warns", { skip }, () => {
  const db = createDb("bare");
  must(db, { sql: `create schema auth; create table auth.users (id uuid primary key, aud varchar(255), role varchar(255),
    email varchar(255) unique, email_confirmed_at timestamptz, raw_app_meta_data jsonb, raw_user_meta_data jsonb)` });
  const r = psql(db, { file: SEED });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /WARNING: {2}seed: the data-model tables do not exist yet/);
  assert.equal(Number(q(db, "select count(*) from auth.users")), demo.users.length, "every demo user");
});

test("on a half-built schema the seed fails and writes nothing", { skip }, () => {
  const db = createDb("half");
  must(db, { sql: `create schema auth; create table auth.users (id uuid primary key, aud varchar(255), role varchar(255),
    email varchar(255) unique, email_confirmed_at timestamptz, raw_app_meta_data jsonb, raw_user_meta_data jsonb);
    create table public.teams (id uuid primary key, name text not null unique)` });
  const r = psql(db, { file: SEED });
  assert.notEqual(r.code, 0);
  assert.match(r.err, /seed: data-model tables missing: public\.mixture_components, .*public\.profiles/);
  assert.equal(Number(q(db, "select count(*) from auth.users")), 0, "the users insert was rolled back too");
});

test("the seed tolerates a schema that creates vocabulary rows itself and profiles by trigger", { skip }, () => {
  const db = createDb("prefilled");
  must(db, { file: SCHEMA });
  must(db, { sql: `insert into public.property_types (code, name, canonical_unit, value_kind) values ('ld50_oral', 'Oral LD50 (from a migration)', 'mg/kg', 'numeric');
    create function public.new_profile() returns trigger language plpgsql as $$
    begin insert into public.profiles (id, display_name) values (new.id, 'from trigger'); return new; end $$;
    create trigger new_profile after insert on auth.users for each row execute function public.new_profile();` });
  must(db, { file: SEED });
  assert.equal(q(db, `select distinct t.name from public.molecular_properties p join public.property_types t on t.id = p.property_type_id
    where t.code = 'ld50_oral'`), "Oral LD50 (from a migration)", "values point at the existing vocabulary row");
  assert.equal(Number(q(db, "select count(*) from public.property_types where code = 'ld50_oral'")), 1);
  assert.equal(q(db, "select string_agg(display_name, ',' order by display_name) from public.profiles"), "Alice (demo),Bob (demo),Carol (demo),Dave (demo),Erin (demo)");
});

test("the Supabase CLI seeds it too (db reset: its own SQL splitter, the path hosted projects use)", { skip }, () => {
  const db = createDb("cli");
  // A throwaway project folder whose only migration is the contract stand-in, so that `db reset` (which
  // drops everything first) rebuilds the tables before it runs the seed.
  const dir = mkdtempSync(join(tmpdir(), "seed-cli-"));
  try {
    mkdirSync(join(dir, "supabase/migrations"), { recursive: true });
    copyFileSync(join(ROOT, "supabase/config.toml"), join(dir, "supabase/config.toml"));
    copyFileSync(SCHEMA, join(dir, "supabase/migrations/20261128060000_contract_fixture.sql"));
    copyFileSync(SEED, join(dir, "supabase/seed.sql"));
    const r = spawnSync(join(ROOT, "node_modules/.bin/supabase"), ["db", "reset", "--db-url", `${url(db)}?sslmode=disable`, "--yes", "--workdir", dir],
      { encoding: "utf8", timeout: 120_000, env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, /Seeding data from supabase\/seed\.sql/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(Number(q(db, "select count(*) from public.molecules")), ref.molecules.length + demo.molecules.length);
  assert.equal(Number(q(db, "select count(*) from public.mixture_components")), seed.counts.components);
  assert.equal(Number(q(db, "select count(*) from auth.users")), demo.users.length, "every demo user");
});

test("the test stack itself was seeded on the real schema: every data-file row is there, integrity is clean, views are filled", { skip }, () => {
  const db = "postgres";
  assert.equal(Number(q(db, "select count(*) from public.molecules where visibility = 'public' and team_id is null")), ref.molecules.length, "public molecules");
  assert.equal(Number(q(db, "select count(*) from public.molecules where visibility = 'team'")), demo.molecules.length, "team molecules");
  assert.equal(Number(q(db, "select count(*) from public.mixtures")), ref.mixtures.length + demo.mixtures.length, "mixtures");
  assert.equal(Number(q(db, "select count(*) from public.mixture_components")), seed.counts.components, "components");
  assert.equal(Number(q(db, "select count(*) from public.molecular_properties")), seed.counts.properties, "properties");
  assert.equal(q(db, "select coalesce(string_agg(check_name || ': ' || detail, '; '), '') from private.validate_integrity()"), "",
    "validate_integrity() finds no problem in the seed");
  assert.equal(Number(q(db, "select count(*) from public.catalogue_refresh_status where last_refreshed_at is null")), 0,
    "the seed refreshed every catalogue view");
});
