#!/usr/bin/env node
// `npm run db:scale -- --molecules 1000000`: fills the local database (dev stack, or CRYO_STACK=test) with
// the deterministic scale data set every benchmark uses: teams, users and memberships, molecules (90 %
// public, 10 % private to a team), mixtures with components, and properties. Set-based SQL only
// (generate_series), with secondary indexes rebuilt after each bulk insert: 1M molecules take about a
// minute on a fresh stack. Rerunning replaces the previous scale data (rows marked source = 'db:scale',
// users @scale.local, toxicity sources named db-scale-*), which alone takes over a minute at 1M; seed rows
// are never touched. Then toxicity records (issue 10): 5 per molecule by default, skewed so that most
// molecules have a few and some have thousands (see toxicitySteps), and the toxicity summary is refreshed.
// Writes its step timings and the toxicity table's size to reports/db-scale.json.
//   --molecules N   number of molecules (default 100000); mixtures = N/50, properties = N/5, teams = max(10, N/20000)
//   --toxicity T    number of toxicity records (default 5 × molecules, e.g. 5M over 1M molecules; 0: none)
import postgres from "postgres";
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, stackConfig } from "./lib/config.mjs";

const { values } = parseArgs({ options: { molecules: { type: "string", default: "100000" }, toxicity: { type: "string" } } });
const N = Number(values.molecules);
if (!Number.isInteger(N) || N < 1000 || N > 20_000_000) {
  console.error("error: --molecules must be an integer between 1000 and 20000000");
  process.exit(2);
}
const TOX = values.toxicity === undefined ? 5 * N : Number(values.toxicity);
if (!Number.isInteger(TOX) || TOX < 0 || TOX > 100_000_000) {
  console.error("error: --toxicity must be an integer between 0 and 100000000");
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
    // Scale toxicity records first, set-based with user triggers (audit, access) off: deleting them through
    // the molecules' cascade would fire the row triggers millions of times.
    `alter table public.toxicity_records disable trigger user`,
    `delete from public.toxicity_records where source_id in (select id from public.toxicity_sources where name like 'db-scale-%')`,
    `alter table public.toxicity_records enable trigger user`,
    `delete from public.toxicity_sources where name like 'db-scale-%'`,
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
  ...toxicitySteps(),
  ["analyze", [`analyze public.teams, public.team_members, public.molecules, public.mixtures, public.mixture_components,
                public.molecular_properties, public.property_types, auth.users`]],
  ["refresh catalogue views", [
    `select private.refresh_catalogue_view('molecule_property_summary')`,
    `select private.refresh_catalogue_view('mixture_composition_summary')`,
    `select private.refresh_catalogue_view('catalogue_counts')`,
    ...(TOX ? [`select private.refresh_catalogue_view('toxicity_summary')`] : []),
  ]],
];

/**
 * The toxicity records: TOX rows, each a function of its number r through two md5 digests (eight uniform
 * draws u1…u8), so the data set is deterministic. In proportions a mix of public data sets gives:
 * - molecule: molecule 1 + ((⌊N·u1²⌋ · (2³¹−1)) mod N), i.e. a density ∝ 1/√x over a permutation of the
 *   molecules: at 1M molecules / 5M records most molecules get 2–5 records, 1 % get 25 or more, the top one
 *   about 5,000 (some 3 % get none);
 * - value type: hit calls 70 % (8 % active), AC50 15 % (log-uniform 0.01–100 µM, 10 % '>'), LD50 10 %
 *   (log-normal around 2,000 mg/kg, σ = 1.3; '=' 75 %, '>' 20 %, '<' 5 %), GHS category 2.5 % (mostly 4–5),
 *   EPA category 2.5 % (mostly III–IV);
 * - in vitro records (calls, AC50) name one of 60 scale assays and its endpoint (nuclear receptor 35 %,
 *   stress response 25 %, bioactivity 30 %, genotoxicity 5 %, cytotoxicity 5 %), no species or route;
 *   in vivo records (LD50, categories) are acute oral: rat 80 %, mouse 15 %, rabbit 3 %, not stated 2 %;
 *   route oral 95 % or not stated; sex mostly not stated;
 * - owner: records about a team's private molecule are that team's; of those about public molecules 5 %
 *   are private to a team (spread over all scale teams) and 1 % of the in vivo ones are about a formulation
 *   whose active ingredient is the molecule; 2 % matched by skeleton only.
 * Loaded in bulk mode: secondary indexes, the primary key, the unique record key and the foreign keys are
 * dropped and re-made after the insert (one sort and one validating join each instead of millions of row
 * operations), and user triggers are off, so the audit log gets no event for synthetic rows and the access
 * trigger's rules are kept by construction (a record's owner follows its molecule's). All inside the step's
 * transaction. ALTER TABLE … DISABLE TRIGGER USER is what the table's owner may do on a hosted project too;
 * session_replication_role would need a superuser.
 */
function toxicitySteps() {
  if (!TOX) return [];
  const u = (h, k) => `(('x' || substr(${h}, ${8 * k - 7}, 8))::bit(32)::bigint::float8 / 4294967296.0)`;
  const frac = (x, m) => `((${x} * ${m}) - floor(${x} * ${m}))`;
  const groups = ["nuclear_receptor_activity", "stress_response", "bioactivity", "genotoxicity", "cytotoxicity"];
  const ep = (code) => `(select id from public.toxicity_endpoints where code = '${code}')`;
  return [
    [`toxicity: 3 sources, 60 assays`, [
      `insert into public.toxicity_sources (id, name, title, description)
       values (md5('scale-source:screening')::uuid, 'db-scale-screening', 'Scale data: screening', 'Synthetic hit calls and AC50s (npm run db:scale)'),
              (md5('scale-source:acute')::uuid, 'db-scale-acute', 'Scale data: acute toxicity', 'Synthetic LD50s and categories (npm run db:scale)'),
              (md5('scale-source:curated')::uuid, 'db-scale-curated', 'Scale data: curated', 'Synthetic curated values (npm run db:scale)')`,
      `insert into public.toxicity_assays (id, source_id, source_assay_id, name, readout)
       select md5('scale-assay:' || k)::uuid, md5('scale-source:screening')::uuid, 'SCALE-' || lpad(k::text, 3, '0'), 'Scale assay ' || k, 'hit call, AC50'
       from generate_series(1, 60) k`,
      `insert into public.assay_endpoint_mappings (assay_id, endpoint_id, basis)
       select md5('scale-assay:' || k)::uuid, e.id, 'db:scale'
       from generate_series(1, 60) k
       join public.toxicity_endpoints e on e.code = (array['${groups.join("', '")}'])[(k - 1) % 5 + 1]`,
    ]],
    [`${TOX} toxicity records`, [
      { bulk: "public.toxicity_records", constraints: true },
      `insert into public.toxicity_records (id, molecule_id, molecule_match, formulation_name, active_ingredient_molecule_id, source_id,
         source_record_id, assay_id, endpoint_id, value_type, raw_qualifier, raw_value, raw_unit, qualifier, value, unit, conversion,
         species, route, sex, citation, record_key, created_at, team_id, visibility)
       select id, case when formulation then null else mol end, case when formulation then null when skeleton then 'skeleton' else 'exact' end,
              case when formulation then 'SCALE product ' || (r % 5000) end, case when formulation then mol end,
              case when vitro then md5('scale-source:screening')::uuid when u8 < 0.5 then md5('scale-source:acute')::uuid
                   else md5('scale-source:curated')::uuid end,
              'SCALE-' || r,
              case when vitro then md5('scale-assay:' || (g + 1 + 5 * floor(u7 * 12)::int))::uuid end,
              case when vitro then (array[${groups.map(ep).join(", ")}])[g + 1] else ${ep("acute_oral_toxicity")} end,
              vt, case when q = '=' then null else q end, v::text,
              case vt when 'LD50' then 'mg/kg' when 'AC50' then 'µM' end,
              q, v, case vt when 'LD50' then 'mg/kg' when 'AC50' then 'µM' when 'hit_call' then 'call' else 'category' end, 'as given',
              case when not vitro then case when u7 < 0.80 then 'rat' when u7 < 0.95 then 'mouse' when u7 < 0.98 then 'rabbit' end end,
              case when not vitro and u8 < 0.95 then 'oral' end,
              case when not vitro then case when ${frac("u8", 1000)} < 0.70 then null when ${frac("u8", 1000)} < 0.85 then 'female'
                                            when ${frac("u8", 1000)} < 0.97 then 'male' else 'male/female' end end,
              case when not vitro and u8 >= 0.5 then 'Scale citation ' || (r % 1000) end,
              h || h2, timestamptz '2026-06-01' + make_interval(secs => r::float8 / 10), team, case when team is null then 'public' else 'team' end
       from (
         select r, h, h2, md5('scale-tox:' || r)::uuid as id, u2, u3, u4, u5, u6, u7, u8, vt, vitro, mol,
                -- owner: a private molecule's team; else 5 % of the records about public molecules are a team's
                case when i % 10 = 0 then md5('scale-team:' || (i / 10 % ${TEAMS} + 1))::uuid
                     when u4 < 0.05 then md5('scale-team:' || (floor(u4 * 1e8)::bigint % ${TEAMS} + 1))::uuid end as team,
                i % 10 <> 0 and not vitro and u4 >= 0.05 and u4 < 0.06 as formulation,
                ${frac("u8", 1000000)} < 0.02 as skeleton,
                case when floor(u6 * 100) < 35 then 0 when floor(u6 * 100) < 60 then 1 when floor(u6 * 100) < 90 then 2
                     when floor(u6 * 100) < 95 then 3 else 4 end as g,
                case vt
                  when 'hit_call' then case when u3 < 0.08 then 1 else 0 end
                  when 'AC50' then round(power(10, -2 + 4 * u3)::numeric, 3)::float8
                  when 'LD50' then round(least(50000, greatest(0.5,
                    exp(ln(2000) + 1.3 * sqrt(-2 * ln(greatest(u3, 1e-9))) * cos(2 * pi() * u5))))::numeric, 1)::float8
                  when 'GHS_category' then case when u3 < 0.03 then 1 when u3 < 0.10 then 2 when u3 < 0.25 then 3 when u3 < 0.55 then 4 else 5 end
                  else case when u3 < 0.05 then 1 when u3 < 0.20 then 2 when u3 < 0.60 then 3 else 4 end
                end as v,
                case vt
                  when 'AC50' then case when ${frac("u6", 1000)} < 0.10 then '>' else '=' end
                  when 'LD50' then case when ${frac("u6", 1000)} < 0.75 then '=' when ${frac("u6", 1000)} < 0.95 then '>' else '<' end
                  else '='
                end as q
         from (
           select r, h, h2, u2, u3, u4, u5, u6, u7, u8, i, md5('scale-molecule:' || i)::uuid as mol,
                  case when u2 < 0.70 then 'hit_call' when u2 < 0.85 then 'AC50' when u2 < 0.95 then 'LD50'
                       when u2 < 0.975 then 'GHS_category' else 'EPA_category' end as vt,
                  u2 < 0.85 as vitro
           from (
             select r, h, h2, ${u("h", 2)} as u2, ${u("h", 3)} as u3, ${u("h", 4)} as u4,
                    ${u("h2", 1)} as u5, ${u("h2", 2)} as u6, ${u("h2", 3)} as u7, ${u("h2", 4)} as u8,
                    (floor(${N}::float8 * ${u("h", 1)} * ${u("h", 1)})::bigint * 2147483647 % ${N}) + 1 as i
             from (select r, md5('scale-tox:' || r) as h, md5('scale-tox-b:' || r) as h2 from generate_series(1, ${TOX}) r offset 0) g
             offset 0 -- each level computed once per row, not inlined into every use of its columns
           ) d
           offset 0
         ) m
         offset 0
       ) x`,
      { rebuild: "public.toxicity_records" },
      `analyze public.toxicity_records`,
    ]],
  ];
}

// Bulk mode for one big insert: secondary indexes are dropped and rebuilt afterwards from their own
// definitions (one sort instead of a million random inserts), and user triggers are off; the rows then set
// team_id/visibility from their parent themselves, which is what the inherit/check triggers would do.
// All inside the step's transaction, so a failure leaves the schema as it was.
// With `constraints`, the table's primary key, unique and foreign-key constraints are dropped too and re-added
// afterwards from their own definitions (their validation is then one join per key, not one lookup per row).
async function bulkMode(tx, table, { constraints = false } = {}) {
  const idx = (await tx`select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
    from pg_index i where i.indrelid = ${table}::regclass
      and not exists (select from pg_constraint c where c.conindid = i.indexrelid)`)
    .map((r) => ({ drop: `drop index ${r.name}`, def: r.def }));
  const cons = constraints
    ? (await tx`select conname, pg_get_constraintdef(oid) as def from pg_constraint
        where conrelid = ${table}::regclass and contype in ('p', 'u', 'f') order by contype = 'f' desc, conname`)
      .map((r) => ({ drop: `alter table ${table} drop constraint ${r.conname}`, def: `alter table ${table} add constraint ${r.conname} ${r.def}` }))
    : [];
  for (const { drop } of [...cons, ...idx]) await tx.unsafe(drop);
  await tx.unsafe(`alter table ${table} disable trigger user`);
  // Re-made in reverse: keys before the foreign keys and indexes that might use them.
  return [...cons, ...idx].reverse();
}
async function rebuild(tx, table, saved) {
  for (const { def } of saved) await tx.unsafe(def);
  await tx.unsafe(`alter table ${table} enable trigger user`);
}

const timings = [];
const t0 = performance.now();
try {
  // JIT compiles the generators' long expressions for seconds and gains nothing on them.
  await sql.unsafe(`set statement_timeout = 0; set maintenance_work_mem = '256MB'; set synchronous_commit = off; set jit = off`);
  console.log(`db:scale on the ${c.name} stack (${c.dbUrl.replace(/:[^:@/]+@/, ":***@")}): ${N} molecules`);
  for (const [label, statements] of steps) {
    const t = performance.now();
    await sql.begin(async (tx) => {
      const saved = [];
      for (const s of statements) {
        if (typeof s === "string") await tx.unsafe(s);
        else if (s.bulk) saved.push(...await bulkMode(tx, s.bulk, s));
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
    (select count(*) from public.molecular_properties)::int as properties, (select count(*) from public.team_members)::int as members,
    (select count(*) from public.toxicity_records)::int as toxicity_records,
    (select count(*) from private.toxicity_summary)::int as toxicity_summary_rows`;
  // The toxicity data set's shape and size, for the issue's closing note and the benchmarks.
  const [toxicity] = await sql`
    with per as (select molecule_id, count(*) as n from public.toxicity_records where molecule_id is not null group by molecule_id)
    select (select count(*) from per)::int as molecules_with_records,
           (select percentile_disc(0.5) within group (order by n) from per)::int as median_per_molecule,
           (select percentile_disc(0.99) within group (order by n) from per)::int as p99_per_molecule,
           (select max(n) from per)::int as max_per_molecule,
           (select count(*) from public.toxicity_records where team_id is not null)::int as team_private,
           round(pg_table_size('public.toxicity_records') / 1048576.0, 1)::float8 as table_mb,
           round(pg_indexes_size('public.toxicity_records') / 1048576.0, 1)::float8 as index_mb,
           round(pg_total_relation_size('private.toxicity_summary') / 1048576.0, 1)::float8 as summary_mb`;
  console.log(`  ${"total".padEnd(40)} ${total.toFixed(2).padStart(8)} s`);
  console.log(`rows now: ${JSON.stringify(counts)}`);
  console.log(`toxicity records: ${JSON.stringify(toxicity)}`);
  // The benchmark report quotes this, so the generator time comes from a file a command wrote.
  mkdirSync(join(ROOT, "reports"), { recursive: true });
  writeFileSync(
    join(ROOT, "reports/db-scale.json"),
    `${
      JSON.stringify(
        {
          command: `npm run db:scale -- --molecules ${N}${values.toxicity === undefined ? "" : ` --toxicity ${TOX}`}`,
          generated_at: new Date().toISOString(),
          stack: c.name,
          molecules: N,
          teams: TEAMS,
          users: USERS,
          mixtures: MIXTURES,
          properties: PROPERTIES,
          toxicity_records: TOX,
          steps: timings,
          total_seconds: Number(total.toFixed(2)),
          rows_after: counts,
          toxicity,
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
