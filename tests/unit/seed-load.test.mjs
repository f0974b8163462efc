// Loads the generated seed (supabase/seed.sql) into the test stack's own database, built by scripts/stack.mjs
// from the platform emulation and supabase/migrations: as `postgres` (the role the seed runs as), inside a
// transaction that empties the seeded tables first and is always rolled back, so the stack keeps its data.
// (A separate database cannot carry the real schema: pg_cron, which the migrations schedule jobs with,
// lives only in the database named by cron.database_name.) A throwaway database without the schema shows
// the seed fails loudly there, through the Supabase CLI too. Skips, saying why, when no test stack is
// running (`npm test` always has one).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { generateSeedSql, PATHS } from "../../scripts/seed/generate.mjs";
import { DemoFile, ReferenceFile } from "../../scripts/seed/schema.mjs";
import { loadVerifiedDataset } from "../../scripts/seed/verify.mjs";

const c = stackConfig("test");
const SEED = readFileSync(join(ROOT, "supabase/seed.sql"), "utf8");
const connect = (url) => postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
const db = connect(c.dbUrl);

const up = await db`select 1`.then(() => true, () => false);
const skip = up
  ? false
  : `no test stack on port ${c.ports.db}: run CRYO_STACK=test npm start (with your CRYO_PORT_OFFSET) or npm test`;

// Everything the seed writes; truncating these (cascading to the tables that reference them) leaves the
// seed an empty schema to load into.
const SEEDED = [
  "public.profiles",
  "public.teams",
  "public.team_members",
  "public.property_types",
  "public.molecules",
  "public.molecule_identifiers",
  "public.molecular_properties",
  "public.mixtures",
  "public.mixture_components",
];

let seed;
let ref;
let demo;
before(async () => {
  if (skip) return;
  seed = await generateSeedSql();
  ref = await loadVerifiedDataset(PATHS.reference, ReferenceFile);
  demo = await loadVerifiedDataset(PATHS.demo, DemoFile, { reference: ref });
});

after(() => db.end());

const ROLLBACK = Symbol("rollback");
/** Runs fn(tx) in a transaction on the test stack's database that starts with no seeded rows and is rolled back. */
async function onEmptySchema(fn) {
  await db.begin(async (tx) => {
    await tx.unsafe(`truncate ${SEEDED.join(", ")} cascade`);
    await tx`delete from auth.users where id = any(${demo.users.map((u) => u.id)}::uuid[])`;
    await fn(tx);
    throw ROLLBACK;
  }).catch((e) => {
    if (e !== ROLLBACK) throw e;
  });
}
/** The seed, sent as one simple-protocol query as psql sends a file's statements. */
const loadSeed = (tx) => tx.unsafe(SEED).simple();
const count = async (tx, query) => Number((await tx.unsafe(query))[0].count);
const one = async (tx, query) => Object.values((await tx.unsafe(query))[0] ?? { v: null })[0];

test(
  "on the schema of the migrations the seed loads whole, and every row lands where the data files say",
  { skip },
  async () => {
    await onEmptySchema(async (tx) => {
      assert.equal(await count(tx, "select count(*) from public.molecules"), 0, "starts empty");
      await loadSeed(tx);

      // Other suites' sign-ups may sit in auth.users; every other table started empty.
      const demoUsers = `id in (${demo.users.map((u) => `'${u.id}'`).join(", ")})`;
      for (const [table, n] of Object.entries(seed.counts)) {
        const where = table === "auth.users" ? ` where ${demoUsers}` : "";
        assert.equal(
          await count(tx, `select count(*) from ${table}${where}`),
          n,
          `${table}: the rows the generator wrote`,
        );
      }
      assert.equal(
        await count(tx, "select count(*) from public.molecules where visibility = 'public' and team_id is null"),
        ref.molecules.length,
        "public molecules",
      );
      assert.equal(
        await count(tx, "select count(*) from public.molecules where visibility = 'team'"),
        demo.molecules.length,
        "team molecules",
      );
      assert.equal(
        await count(tx, "select count(*) from public.mixtures where visibility = 'public'"),
        ref.mixtures.length,
        "public mixtures",
      );
      assert.equal(
        await count(tx, "select count(*) from public.mixtures where visibility = 'team'"),
        demo.mixtures.length,
        "team mixtures",
      );
      assert.equal(
        await count(tx, "select count(*) from public.property_types"),
        ref.propertyTypes.length,
        "property types",
      );
      assert.equal(
        await count(tx, "select count(*) from public.profiles"),
        demo.users.length,
        "a profile per demo user",
      );

      // Memberships as the issue states them, plus erin as Beta's owner; dave belongs to no team.
      assert.equal(
        await one(
          tx,
          `select string_agg(u.email || ':' || t.name || ':' || m.role, ',' order by u.email)
      from public.team_members m join public.teams t on t.id = m.team_id join auth.users u on u.id = m.user_id`,
        ),
        "alice@example.org:Alpha:owner,bob@example.org:Beta:editor,carol@example.org:Alpha:viewer,erin@example.org:Beta:owner",
      );

      // Each team's private rows carry that team, and its mixtures use only public or own-team molecules.
      assert.equal(
        await one(
          tx,
          "select string_agg(distinct t.name, ',') from public.molecules m join public.teams t on t.id = m.team_id",
        ),
        "Alpha,Beta",
      );
      assert.equal(
        await count(
          tx,
          `select count(*) from public.mixture_components c join public.mixtures x on x.id = c.mixture_id
      where c.team_id is distinct from x.team_id or c.visibility is distinct from x.visibility`,
        ),
        0,
        "components inherit the mixture's owner",
      );
      assert.equal(
        await count(tx, "select count(*) from public.molecules where visibility = 'team' and created_by is null"),
        0,
        "demo rows name their creator",
      );

      // Curated toxicity values: public rows of source literature, raw as written, summarised by the seed's refresh.
      assert.equal(
        await count(
          tx,
          `select count(*) from public.toxicity_records r join public.toxicity_sources s on s.id = r.source_id
      where s.name = 'literature' and r.visibility = 'public' and r.team_id is null and r.confidence is not null`,
        ),
        ref.toxicity.length,
        "every curated value is a public literature record with its label",
      );
      assert.equal(
        await one(
          tx,
          `select string_agg(format('%s %s %s%s', e ->> 'species', e ->> 'route', e ->> 'lowest_qualifier', e ->> 'lowest'), ', ')
      from private.toxicity_summary s cross join jsonb_array_elements(s.ld50) e
      where s.molecule_id = (select id from public.molecules where name = 'dimethyl sulfoxide') and s.team_id is null`,
        ),
        "mouse intravenous =3100, rat oral =14500",
        "DMSO's summary after the seed",
      );
      assert.equal(
        await one(tx, "select raw_qualifier || raw_value from public.toxicity_records where source_record_id = 'n_methylformamide_ld50_rat_oral'"),
        "≈4,000",
        "a raw qualifier and value as written",
      );

      // Values survive the round trip: quotes, non-ASCII, arrays and numbers.
      assert.equal(
        await one(tx, "select synonyms[2] from public.molecules where name = 'diethylene glycol'"),
        "2,2'-oxydiethanol",
      );
      assert.equal(
        await one(tx, "select name from public.molecules where inchikey = 'HDTRYLNUVZCQOY-LIZSDCNHSA-N'"),
        "α,α-trehalose",
      );
      assert.equal(
        await one(tx, "select formula || ' ' || inchikey from public.molecules where name = 'ethanol'"),
        "C2H6O LFQSCWFLJHTTHZ-UHFFFAOYSA-N",
      );

      // Stated totals equal the sum of same-unit components; units are stored as published, never converted.
      const rows = await tx.unsafe(
        `select x.name, x.total_concentration::float8 as total, sum(c.concentration)::float8 as sum
      from public.mixtures x join public.mixture_components c on c.mixture_id = x.id
      where x.visibility = 'public' and x.total_unit is not null
        and not exists (select 1 from public.mixture_components o where o.mixture_id = x.id and o.unit <> x.total_unit)
      group by x.id order by x.name`,
      );
      assert.deepEqual(rows.map((r) => r.name), ["DP6", "M22", "VS11", "VS55", "Warner 2022 optimum"]);
      for (const r of rows) {
        assert.ok(Math.abs(r.sum - r.total) < 1e-9, `${r.name}: components sum to the stated total`);
      }
      assert.equal(
        await one(
          tx,
          `select string_agg(distinct unit, ',' order by unit) from public.mixture_components c
      join public.mixtures x on x.id = c.mixture_id where x.name = 'clinical vitrification medium'`,
        ),
        "% v/v,M",
      );

      // The real schema's own checks, and the catalogue views the seed refreshes.
      assert.equal(
        await one(
          tx,
          "select coalesce(string_agg(check_name || ': ' || detail, '; '), '') from private.validate_integrity()",
        ),
        "",
        "validate_integrity() finds no problem in the seed",
      );
      assert.equal(
        await count(tx, "select count(*) from public.catalogue_refresh_status where last_refreshed_at is null"),
        0,
        "the seed refreshed every catalogue view",
      );
    });
  },
);

test("a table missing from the schema fails the seed, naming the table, and nothing is written", { skip }, async () => {
  await onEmptySchema(async (tx) => {
    await tx.unsafe("drop table public.mixture_components cascade");
    const err = await tx.savepoint((sp) => loadSeed(sp)).then(() => null, (e) => e);
    assert.ok(err, "the seed failed");
    assert.equal(err.code, "42P01", "undefined_table");
    assert.match(err.message, /relation "public\.mixture_components" does not exist/);
    assert.equal(
      await count(tx, "select count(*) from auth.users where email like '%@example.org'"),
      0,
      "not even the demo users",
    );
    assert.equal(await count(tx, "select count(*) from public.molecules"), 0, "no molecule");
  });
});

test(
  "in a database without the schema the seed fails at its first statement, sent as psql sends it and as the CLI splits it",
  { skip },
  async () => {
    const name = `seedcheck_bare_${process.pid}`;
    await db.unsafe(`create database ${name}`);
    const url = c.dbUrl.replace(/\/postgres$/, `/${name}`);
    const bare = connect(url);
    const dir = mkdtempSync(join(tmpdir(), "seed-cli-"));
    try {
      const err = await loadSeed(bare).then(() => null, (e) => e);
      assert.equal(err?.code, "42P01", `undefined_table, got ${err}`);
      assert.match(err.message, /relation "auth\.users" does not exist/);
      // The Supabase CLI splits seed.sql with its own parser (db reset, db push --include-seed): it must hand
      // Postgres the seed whole, so the same error comes back, not a syntax error from a statement cut in two.
      mkdirSync(join(dir, "supabase/migrations"), { recursive: true });
      copyFileSync(join(ROOT, "supabase/config.toml"), join(dir, "supabase/config.toml"));
      copyFileSync(join(ROOT, "supabase/seed.sql"), join(dir, "supabase/seed.sql"));
      const r = spawnSync(join(ROOT, "node_modules/.bin/supabase"), [
        "db",
        "reset",
        "--db-url",
        `${url}?sslmode=disable`,
        "--yes",
        "--workdir",
        dir,
      ], {
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
      });
      const out = `${r.stdout}${r.stderr}`;
      assert.notEqual(r.status, 0, "the CLI reports the failure");
      assert.match(out, /Seeding data from supabase\/seed\.sql/);
      assert.match(out, /relation "auth\.users" does not exist \(SQLSTATE 42P01\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await bare.end();
      await db.unsafe(`drop database if exists ${name} with (force)`);
    }
  },
);

test(
  "the seed keeps a vocabulary row a migration made, and a profile a trigger on auth.users made",
  { skip },
  async () => {
    await onEmptySchema(async (tx) => {
      await tx.unsafe(`insert into public.property_types (code, name, canonical_unit, value_kind)
      values ('ld50_oral', 'Oral LD50 (from a migration)', 'mg/kg', 'numeric')`);
      await tx.unsafe(`create function pg_temp.new_profile() returns trigger language plpgsql as $$
      begin insert into public.profiles (id, display_name) values (new.id, 'from trigger'); return new; end $$`);
      await tx.unsafe(
        "create trigger seedcheck_new_profile after insert on auth.users for each row execute function pg_temp.new_profile()",
      );
      await loadSeed(tx);
      assert.equal(
        await one(
          tx,
          `select distinct t.name from public.molecular_properties p join public.property_types t on t.id = p.property_type_id
      where t.code = 'ld50_oral'`,
        ),
        "Oral LD50 (from a migration)",
        "values point at the existing vocabulary row",
      );
      assert.equal(await count(tx, "select count(*) from public.property_types where code = 'ld50_oral'"), 1);
      assert.equal(
        await one(tx, "select string_agg(display_name, ',' order by display_name) from public.profiles"),
        "Alice (demo),Bob (demo),Carol (demo),Dave (demo),Erin (demo)",
        "the seed's display names win",
      );
    });
  },
);

test(
  "the test stack itself was seeded (by scripts/stack.mjs, through psql): every data-file row is there",
  { skip },
  async () => {
    assert.equal(
      await count(db, "select count(*) from public.molecules where visibility = 'public' and team_id is null"),
      ref.molecules.length,
      "public molecules",
    );
    assert.equal(
      await count(db, "select count(*) from public.molecules where visibility = 'team'"),
      demo.molecules.length,
      "team molecules",
    );
    assert.equal(
      await count(db, "select count(*) from public.mixtures"),
      ref.mixtures.length + demo.mixtures.length,
      "mixtures",
    );
    assert.equal(
      await count(db, "select count(*) from public.mixture_components"),
      seed.counts["public.mixture_components"],
      "components",
    );
    assert.equal(
      await count(db, "select count(*) from public.molecular_properties"),
      seed.counts["public.molecular_properties"],
      "properties",
    );
    assert.equal(
      await count(db, "select count(*) from auth.users where email like '%@example.org'"),
      demo.users.length,
      "every demo user",
    );
    assert.equal(
      await count(db, "select count(*) from public.catalogue_refresh_status where last_refreshed_at is null"),
      0,
      "the seed refreshed every catalogue view",
    );
  },
);
