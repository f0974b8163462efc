#!/usr/bin/env node
// `npm run db:scale -- --molecules 1000000`: fills the local database (dev stack, or CRYO_STACK=test) with
// the deterministic scale data set every benchmark uses: teams, users and memberships, molecules (90 %
// public, 10 % private to a team), mixtures with components, and properties. Set-based SQL only
// (generate_series), with secondary indexes rebuilt after each bulk insert: 1M molecules take about a
// minute on a fresh stack. Rerunning replaces the previous scale data (rows marked source = 'db:scale',
// users @scale.local), which alone takes over a minute at 1M; seed rows are never touched.
// Writes its step timings to reports/db-scale.json.
//   --molecules N   number of molecules (default 100000); mixtures = N/50, properties = N/5, teams = max(10, N/20000)
import postgres from "postgres";
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, stackConfig } from "./lib/config.mjs";

const { values } = parseArgs({ options: { molecules: { type: "string", default: "100000" } } });
const N = Number(values.molecules);
if (!Number.isInteger(N) || N < 1000 || N > 20_000_000) {
  console.error("error: --molecules must be an integer between 1000 and 20000000");
  process.exit(2);
}
const TEAMS = Math.max(10, Math.floor(N / 20000));
const USERS = TEAMS * 10;
const MIXTURES = Math.floor(N / 50);
const PROPERTIES = Math.floor(N / 5);

const c = stackConfig();
// The project owner, as a data import on the platform would run (bypasses RLS).
const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });

// A molecule's InChIKey-shaped key: 14 letters from a hash, then 10 letters that spell its number in base 26
// (unique by construction), then 'N'. Deterministic, valid format, never a real compound's key.
const inchikeySql = (i) =>
  `translate(upper(substr(md5('scale:' || ${i}), 1, 14)), '0123456789', 'QRSTUVWXYZ') || '-' || ` +
  Array.from({ length: 10 }, (_, k) => `chr(65 + ((${i})::bigint / ${26 ** (9 - k)}::bigint % 26)::int)`).join(" || ") +
  ` || '-N'`;

const steps = [
  ["remove previous scale data", [
    `delete from public.mixtures where source = 'db:scale'`,
    `delete from public.molecules where source = 'db:scale'`,
    `delete from public.teams where name like 'Scale team %'`,
    `delete from auth.users where email like '%@scale.local'`,
    `delete from public.property_types where code like 'scale_%'`,
  ]],
  [`${TEAMS} teams, ${USERS} users, memberships`, [
    `insert into public.teams (id, name)
     select md5('scale-team:' || t)::uuid, 'Scale team ' || lpad(t::text, 4, '0') from generate_series(1, ${TEAMS}) t`,
    `insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
     select md5('scale-user:' || u)::uuid, 'authenticated', 'authenticated', 'scale-user-' || u || '@scale.local', now(),
            '{"provider":"email","providers":["email"]}', '{}'
     from generate_series(1, ${USERS}) u`,
    // user u: owner (first of each team), editor or viewer of team u % TEAMS, viewer of a second team
    `insert into public.team_members (team_id, user_id, role)
     select md5('scale-team:' || (u % ${TEAMS} + 1))::uuid, md5('scale-user:' || u)::uuid,
            case when u <= ${TEAMS} then 'owner' when u % 3 = 0 then 'editor' else 'viewer' end
     from generate_series(1, ${USERS}) u
     union all
     select md5('scale-team:' || ((u + 7) % ${TEAMS} + 1))::uuid, md5('scale-user:' || u)::uuid, 'viewer'
     from generate_series(1, ${USERS}) u where (u + 7) % ${TEAMS} <> u % ${TEAMS}`,
  ]],
  [`${N} molecules`, [
    { bulk: "public.molecules" },
    `insert into public.molecules (id, kind, name, synonyms, smiles, inchikey, formula, molecular_weight, logp, tpsa, hbd, hba,
       rotatable_bonds, source, confidence, team_id, visibility, created_at, updated_at)
     select md5('scale-molecule:' || i)::uuid, 'small_molecule',
            'SC-' || substr(md5('scale-name:' || i), 1, 10), '{}', 'C' || repeat('O', i % 5),
            ${inchikeySql("i")}, 'C' || (1 + i % 20) || 'H' || (4 + i % 40) || 'O' || (i % 5),
            30 + (i % 700) + (i % 97) / 100.0, ((i % 120) - 40) / 10.0, (i % 200) / 2.0, i % 6, i % 9, i % 12,
            'db:scale', 'C',
            case when i % 10 = 0 then md5('scale-team:' || (i / 10 % ${TEAMS} + 1))::uuid end,
            case when i % 10 = 0 then 'team' else 'public' end,
            timestamptz '2026-01-01' + make_interval(secs => i), timestamptz '2026-01-01' + make_interval(secs => i)
     from generate_series(1, ${N}) i
     order by 1`, // in primary-key order: the one index kept during the load then only appends
    { rebuild: "public.molecules" },
  ]],
  [`${PROPERTIES} properties`, [
    `insert into public.property_types (id, code, name, canonical_unit, value_kind)
     select md5('scale-ptype:' || k)::uuid, 'scale_prop_' || k, 'Scale property ' || k, 'mM', 'numeric' from generate_series(1, 5) k`,
    // properties come in blocks of five (one per type); block b belongs to molecule 5b + 1 + b % 5, so one
    // molecule in 25 has properties, private ones included
    { bulk: "public.molecular_properties" },
    `insert into public.molecular_properties (molecule_id, property_type_id, numeric_value, unit, temperature_c, method, source,
       confidence, team_id, visibility)
     select m.id, md5('scale-ptype:' || ((p - 1) % 5 + 1))::uuid, (p % 1000) / 7.0, 'mM', 4 + p % 33, 'scale', 'db:scale', 'C',
            m.team_id, m.visibility
     from generate_series(1, ${PROPERTIES}) p
     join public.molecules m on m.id = md5('scale-molecule:' || ((p - 1) / 5 * 5 + 1 + (p - 1) / 5 % 5))::uuid`,
    { rebuild: "public.molecular_properties" },
  ]],
  [`${MIXTURES} mixtures, ${MIXTURES * 4} components`, [
    `insert into public.mixtures (id, name, description, source, confidence, team_id, visibility)
     select md5('scale-mixture:' || x)::uuid, 'SX-' || substr(md5('scale-mixture-name:' || x), 1, 10), 'scale data', 'db:scale', 'C',
            case when x % 3 = 0 then md5('scale-team:' || (x / 3 % ${TEAMS} + 1))::uuid end,
            case when x % 3 = 0 then 'team' else 'public' end
     from generate_series(1, ${MIXTURES}) x`,
    // four distinct public molecules per mixture (numbers not divisible by 10 are public)
    { bulk: "public.mixture_components" },
    `insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, role, team_id, visibility)
     select x.id, md5('scale-molecule:' || (((x.n * 37 + j * 9973) % (${N} / 10)) * 10 + 1 + j))::uuid,
            (0.5 + (x.n + j) % 30 / 10.0), case j when 3 then '% w/v' else 'M' end,
            case j when 3 then 'non_penetrating' else 'penetrating' end, x.team_id, x.visibility
     from (select n, m.id, m.team_id, m.visibility from generate_series(1, ${MIXTURES}) n
           join public.mixtures m on m.id = md5('scale-mixture:' || n)::uuid) x, generate_series(0, 3) j`,
    { rebuild: "public.mixture_components" },
  ]],
  ["analyze", [`analyze public.teams, public.team_members, public.molecules, public.mixtures, public.mixture_components,
                public.molecular_properties, public.property_types, auth.users`]],
  ["refresh catalogue views", [
    `select private.refresh_catalogue_view('molecule_property_summary')`,
    `select private.refresh_catalogue_view('mixture_composition_summary')`,
    `select private.refresh_catalogue_view('catalogue_counts')`,
  ]],
];

// Bulk mode for one big insert: secondary indexes are dropped and rebuilt afterwards from their own
// definitions (one sort instead of a million random inserts), and user triggers are off; the rows then set
// team_id/visibility from their parent themselves, which is what the inherit/check triggers would do.
// All inside the step's transaction, so a failure leaves the schema as it was.
async function bulkMode(tx, table) {
  const idx = await tx`select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
    from pg_index i where i.indrelid = ${table}::regclass
      and not exists (select from pg_constraint c where c.conindid = i.indexrelid)`;
  for (const { name } of idx) await tx.unsafe(`drop index ${name}`);
  await tx.unsafe(`alter table ${table} disable trigger user`);
  return idx;
}
async function rebuild(tx, table, idx) {
  for (const { def } of idx) await tx.unsafe(def);
  await tx.unsafe(`alter table ${table} enable trigger user`);
}

const timings = [];
const t0 = performance.now();
try {
  await sql.unsafe(`set statement_timeout = 0; set maintenance_work_mem = '256MB'; set synchronous_commit = off`);
  console.log(`db:scale on the ${c.name} stack (${c.dbUrl.replace(/:[^:@/]+@/, ":***@")}): ${N} molecules`);
  for (const [label, statements] of steps) {
    const t = performance.now();
    await sql.begin(async (tx) => {
      const saved = [];
      for (const s of statements) {
        if (typeof s === "string") await tx.unsafe(s);
        else if (s.bulk) saved.push(...await bulkMode(tx, s.bulk));
        else if (s.rebuild) await rebuild(tx, s.rebuild, saved.splice(0));
      }
    });
    const secs = (performance.now() - t) / 1000;
    timings.push({ step: label, seconds: Number(secs.toFixed(2)) });
    console.log(`  ${label.padEnd(40)} ${secs.toFixed(2).padStart(8)} s`);
  }
  const total = (performance.now() - t0) / 1000;
  const [counts] = await sql`select (select count(*) from public.molecules)::int as molecules,
    (select count(*) from public.mixtures)::int as mixtures, (select count(*) from public.mixture_components)::int as components,
    (select count(*) from public.molecular_properties)::int as properties, (select count(*) from public.team_members)::int as members`;
  console.log(`  ${"total".padEnd(40)} ${total.toFixed(2).padStart(8)} s`);
  console.log(`rows now: ${JSON.stringify(counts)}`);
  // The benchmark report quotes this, so the generator time comes from a file a command wrote.
  mkdirSync(join(ROOT, "reports"), { recursive: true });
  writeFileSync(
    join(ROOT, "reports/db-scale.json"),
    `${
      JSON.stringify(
        {
          command: `npm run db:scale -- --molecules ${N}`,
          generated_at: new Date().toISOString(),
          stack: c.name,
          molecules: N,
          teams: TEAMS,
          users: USERS,
          mixtures: MIXTURES,
          properties: PROPERTIES,
          steps: timings,
          total_seconds: Number(total.toFixed(2)),
          rows_after: counts,
        },
        null,
        2,
      )
    }\n`,
  );
} catch (e) {
  console.error(`error: ${e.message}${e.detail ? `\n${e.detail}` : ""}`);
  process.exitCode = 1;
} finally {
  await sql.end();
}
