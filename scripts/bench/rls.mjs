// The RLS performance suite (`npm run bench -- rls`, issue 13 item 2): what row-level security costs on the
// scale data set, for each key query of the API, as four actors:
//   owner       postgres, the table owner (BYPASSRLS): the query without RLS
//   member      a signed-in member of the teams (role authenticated + JWT claims, as PostgREST and the
//               functions run a request)
//   non_member  a signed-in user sharing no team with the member
//   service     a scoped service client (role cryo_service, claims team_id + scope)
// interleaved in one run on one direct connection (every iteration runs each query once per actor, the
// actors' order rotating), so all four see the same machine noise. Each run is its own transaction:
// `begin`, one statement setting the claims and the role (the owner sets claims only), the timed query,
// `commit`; only the query is timed, on the client (round trip over a local socket included: an upper bound
// of the time in the database). Percentiles from an HDR histogram (hdr-histogram-js) at µs resolution.
//
// A growth series repeats the measurement at several data sizes: for each size the suite runs
// `npm run db:scale -- --molecules N` (replacing the scale data) and then, as a separate optional step,
// scripts/bench/toxicity-scale.mjs when db:scale did not make toxicity records of its own.
//
// The toxicity queries are the SQL the toxicity API runs (issue 11): a molecule's records keyset-paged on
// (molecule_id, value_type, id); the summary through public.toxicity_summary(uuid[]); the batch lookup of
// 1,000 identifiers through unnest … with ordinality joined to molecules and molecule_identifiers.
import postgres from "postgres";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import hdr from "hdr-histogram-js";
import { ROOT, stackConfig } from "../lib/config.mjs";
import { ensureToxicityData, removeToxicityData } from "./toxicity-scale.mjs";

/** The key queries: `kind` standard (target p95 < 5 ms) or complex (< 50 ms). Parameters from `params` below. */
export const QUERIES = {
  list_page: {
    title: "molecule list page (50, keyset on name, id)",
    kind: "standard",
    text: `select id, name, inchikey, molecular_weight from public.molecules
           where (name, id) > ($1, $2::uuid) order by name, id limit 50`,
  },
  inchikey_lookup: {
    title: "lookup by InChIKey",
    kind: "standard",
    text: `select id, name, inchikey, smiles, molecular_weight, team_id, visibility from public.molecules
           where inchikey = $1`,
  },
  name_search: {
    title: "name search (prefix, first 20)",
    kind: "standard",
    // A prefix as a range on the (name, id) index (the database collates with C.UTF-8, so the range is
    // exactly the prefix): the form an index can serve, unlike ILIKE '%…%'.
    text: `select id, name, inchikey from public.molecules
           where name >= $1 and name < $2 order by name, id limit 20`,
  },
  mixture_with_components: {
    title: "mixture with its components",
    kind: "standard",
    text: `select x.id, x.name, c.concentration, c.unit, c.role, m.name as molecule, m.molecular_weight
           from public.mixtures x
           join public.mixture_components c on c.mixture_id = x.id
           join public.molecules m on m.id = c.molecule_id
           where x.id = $1`,
  },
  toxicity_profile: {
    // The cursor's value type is bound as text: cast to the domain public.toxicity_value_type, the row
    // comparison is no longer an index condition (CoerceToDomain is not a constant) and every page re-reads
    // the molecule's records from the first (pgTAP 50-plan-shape-bench.sql guards the shape).
    title: "toxicity profile (a molecule's records, keyset page of 50)",
    kind: "standard",
    text: `select id, value_type, qualifier, value, unit, species, route, endpoint_id, source_id, team_id, visibility
           from public.toxicity_records
           where molecule_id = $1 and (value_type, id) > ($2::text, $3::uuid)
           order by value_type, id limit 50`,
  },
  toxicity_summary: {
    title: "toxicity summary of 20 molecules (public.toxicity_summary)",
    kind: "standard",
    text: `select * from public.toxicity_summary($1::uuid[])`,
  },
  batch_lookup: {
    title: "batch lookup of 1,000 identifiers",
    kind: "complex",
    text: `select i.ord, i.key, m.id, m.name, m.inchikey
           from unnest($1::text[]) with ordinality as i(key, ord)
           left join lateral (
             select m.id, m.name, m.inchikey from public.molecules m where m.inchikey = i.key
             union all
             select m.id, m.name, m.inchikey from public.molecule_identifiers x
             join public.molecules m on m.id = x.molecule_id
             where x.kind = 'cas' and x.value = i.key
           ) m on true
           order by i.ord`,
  },
};

/**
 * The toxicity API's own SQL (issue 11: its functions private.toxicity_lookup and private.toxicity_search,
 * security invoker, so RLS applies inside), measured as well when the database has them.
 */
export const API_QUERIES = {
  api_batch_lookup: {
    title: "toxicity API batch lookup of 1,000 InChIKeys (private.toxicity_lookup, 5 records each)",
    kind: "complex",
    requires: "private.toxicity_lookup(jsonb, text[], integer)",
    text: `select l.ord, l.matches, l.summary, l.records, l.more_records
           from private.toxicity_lookup($1::text::jsonb, null, 5) l order by l.ord`,
  },
  api_search: {
    title: "toxicity API search (private.toxicity_search, 20)",
    kind: "standard",
    requires: "private.toxicity_search(text, integer)",
    text: `select * from private.toxicity_search($1, 20)`,
  },
};

const ACTORS = ["owner", "member", "non_member", "service"];
const r3 = (x) => Math.round(x * 1000) / 1000;

/** { n, p50_ms, p95_ms, p99_ms, mean_ms } of `values` (ms), from an HDR histogram at 1 µs resolution. */
export function stats(values) {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  for (const v of values) h.recordValue(Math.max(1, Math.round(v * 1000)));
  const at = (p) => r3(h.getValueAtPercentile(p) / 1000);
  const out = { n: values.length, p50_ms: at(50), p95_ms: at(95), p99_ms: at(99), mean_ms: r3(h.mean / 1000) };
  h.destroy();
  return out;
}

/** Runs a command, streaming its output to stderr; rejects on a non-zero exit. */
function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
    p.on("close", (code) => code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}`)));
  });
}

/** The actors' claims and the queries' parameters, sampled deterministically from the data set. */
async function fixtures(sql, memberEmail) {
  const [member] = await sql`select id from auth.users where email = ${memberEmail}`;
  if (!member) throw new Error(`no ${memberEmail}: run \`npm run db:scale -- --molecules N\` first`);
  const teamIds = (await sql`select team_id from public.team_members where user_id = ${member.id} order by team_id`)
    .map((t) => t.team_id);
  const [outsider] = await sql`select u.id, u.email from auth.users u
    where u.email like '%@scale.local'
      and exists (select from public.team_members m where m.user_id = u.id)
      and not exists (select from public.team_members m where m.user_id = u.id and m.team_id = any (${teamIds}::uuid[]))
    order by u.email limit 1`;
  if (!outsider) throw new Error("the scale data set has no user outside the member's teams");
  const user = (id, email) =>
    JSON.stringify({
      sub: id,
      role: "authenticated",
      aud: "authenticated",
      email,
      aal: "aal1",
      is_anonymous: false,
      app_metadata: { provider: "email", providers: ["email"] },
    });
  const claims = {
    owner: { claims: "{}", role: null },
    member: { claims: user(member.id, memberEmail), role: "authenticated" },
    non_member: { claims: user(outsider.id, outsider.email), role: "authenticated" },
    service: {
      claims: JSON.stringify({
        sub: "svc:bench-rls",
        role: "cryo_service",
        client_id: "svc:bench-rls",
        scope: "molecules:read mixtures:read toxicity:read",
        team_id: teamIds[0],
      }),
      role: "cryo_service",
    },
  };

  // Rows the member can read: public ones and its teams' (half each where it matters).
  const readable = sql`(visibility = 'public' or team_id = any (${teamIds}::uuid[]))`;
  const starts = await sql`select name, id from public.molecules tablesample bernoulli (1) repeatable (42)
    where ${readable} order by name, id limit 500`;
  const keys = [
    ...(await sql`select inchikey from public.molecules tablesample bernoulli (1) repeatable (42)
        where visibility = 'public' and inchikey is not null order by inchikey limit 250`),
    ...(await sql`select inchikey from public.molecules where team_id = any (${teamIds}::uuid[]) and inchikey is not null
        order by inchikey limit 250`),
  ].map((r) => r.inchikey);
  const prefixes = starts.map((s) => s.name.slice(0, Math.min(s.name.length, 5)));
  const mixtures = (await sql`select id from public.mixtures where ${readable} order by md5(id::text) limit 500`)
    .map((r) => r.id);
  const toxMolecules = (await sql`select distinct molecule_id from public.toxicity_records r
      where r.molecule_id is not null and (r.visibility = 'public' or r.team_id = any (${teamIds}::uuid[]))
      order by molecule_id limit 500`).map((r) => r.molecule_id);
  if (!starts.length || !keys.length || !mixtures.length || !toxMolecules.length) {
    throw new Error("the data set lacks molecules, mixtures or toxicity records the member can read");
  }
  // 1,000 identifiers: 800 InChIKeys of readable molecules and 200 that match nothing.
  const batchKeys = (await sql`select inchikey from public.molecules tablesample bernoulli (5) repeatable (7)
    where ${readable} and inchikey is not null limit 800`).map((r) => r.inchikey);
  while (batchKeys.length < 1000) batchKeys.push(`ZZZZZZZZZZZZZZ-${String(batchKeys.length).padStart(10, "0")}-N`);
  const NIL = "00000000-0000-0000-0000-000000000000";
  const nextPrefix = (p) => p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1);
  const params = {
    list_page: (i) => [starts[i % starts.length].name, starts[i % starts.length].id],
    inchikey_lookup: (i) => [keys[(i * 7) % keys.length]],
    name_search: (i) => [prefixes[(i * 11) % prefixes.length], nextPrefix(prefixes[(i * 11) % prefixes.length])],
    mixture_with_components: (i) => [mixtures[(i * 13) % mixtures.length]],
    toxicity_profile: (i) => [toxMolecules[(i * 17) % toxMolecules.length], "AC50", NIL],
    toxicity_summary: (i) => {
      const k = (i * 20) % toxMolecules.length;
      return [`{${[...toxMolecules, ...toxMolecules].slice(k, k + 20).join(",")}}`];
    },
    batch_lookup: () => [`{${batchKeys.join(",")}}`],
    api_batch_lookup: () => [JSON.stringify(batchKeys.map((k) => ["inchikey", k]))],
    api_search: (i) => [prefixes[(i * 11) % prefixes.length].toLowerCase()],
  };
  return { claims, params, member: memberEmail, member_teams: teamIds.length, non_member: outsider.email };
}

async function once(sql, actor, text, params) {
  let dt = 0;
  let rows = 0;
  await sql.begin(async (tx) => {
    await tx.unsafe(
      actor.role
        ? `select pg_catalog.set_config('request.jwt.claims', $1, true), pg_catalog.set_config('role', $2, true)`
        : `select pg_catalog.set_config('request.jwt.claims', $1, true), $2::text`,
      [actor.claims, actor.role ?? "none"],
    );
    const t = performance.now();
    const r = await tx.unsafe(text, params);
    dt = performance.now() - t;
    rows = r.length;
  });
  return { dt, rows };
}

/** The nodes a plan spends time in, for "why" in the report: InitPlans/SubPlans (the policies' helpers),
 * scans with their index, and the planning and execution times. `plan`: EXPLAIN (ANALYZE, FORMAT JSON)[0]. */
export function planSummary(plan) {
  const nodes = [];
  const walk = (n, rel) => {
    const loops = n["Actual Loops"] ?? 1;
    if (rel === "InitPlan" || rel === "SubPlan" || /Scan/.test(n["Node Type"])) {
      nodes.push({
        node: n["Node Type"],
        ...(rel === "InitPlan" || rel === "SubPlan" ? { role: n["Subplan Name"] ?? rel } : {}),
        ...(n["Relation Name"] ? { relation: n["Relation Name"] } : {}),
        ...(n["Index Name"] ? { index: n["Index Name"] } : {}),
        ...(n["Function Name"] ? { function: n["Function Name"] } : {}),
        loops,
        total_ms: r3((n["Actual Total Time"] ?? 0) * loops),
        ...(n.Filter ? { filter: n.Filter.slice(0, 200) } : {}),
      });
    }
    for (const child of n.Plans ?? []) walk(child, child["Parent Relationship"]);
  };
  walk(plan.Plan, null);
  return { planning_ms: r3(plan["Planning Time"]), execution_ms: r3(plan["Execution Time"]), nodes };
}

async function explain(sql, actor, text, params) {
  let out;
  await sql.begin(async (tx) => {
    await tx.unsafe(
      actor.role
        ? `select pg_catalog.set_config('request.jwt.claims', $1, true), pg_catalog.set_config('role', $2, true)`
        : `select pg_catalog.set_config('request.jwt.claims', $1, true), $2::text`,
      [actor.claims, actor.role ?? "none"],
    );
    const [row] = await tx.unsafe(`explain (analyze, format json) ${text}`, params);
    out = planSummary(row["QUERY PLAN"][0]);
  });
  return out;
}

/**
 * measure(sql, { iterations, warmup, member, queries }) → Promise<{ data, results }>: one size of the
 * series on the data as it is. `results[query] = { title, kind, actors: { <actor>: { n, p50_ms, p95_ms,
 * p99_ms, mean_ms, rows_per_run } }, vs_owner: { <actor>: { ratio_p50, ratio_p95, added_p50_ms,
 * added_p95_ms } } }`.
 */
export async function measure(sql, { iterations, warmup, member = "scale-user-1@scale.local", queries = QUERIES }) {
  const f = await fixtures(sql, member);
  queries = { ...queries };
  for (const [name, q] of Object.entries(API_QUERIES)) {
    const [{ present }] = await sql`select to_regprocedure(${q.requires}) is not null as present`;
    if (present) queries[name] = q;
  }
  const [data] = await sql`select (select count(*) from public.molecules)::int as molecules,
    (select count(*) from public.mixtures)::int as mixtures, (select count(*) from public.toxicity_records)::int as toxicity_records,
    (select count(*) from public.teams)::int as teams, (select count(*) from auth.users)::int as users`;
  const samples = {}, rows = {};
  for (const q of Object.keys(queries)) {
    samples[q] = Object.fromEntries(ACTORS.map((a) => [a, []]));
    rows[q] = Object.fromEntries(ACTORS.map((a) => [a, 0]));
  }
  for (let i = -warmup; i < iterations; i++) {
    const j = Math.abs(i);
    for (const [q, def] of Object.entries(queries)) {
      const p = f.params[q](j);
      const k = ((i % ACTORS.length) + ACTORS.length) % ACTORS.length; // rotate who goes first
      for (const a of [...ACTORS.slice(k), ...ACTORS.slice(0, k)]) {
        const r = await once(sql, f.claims[a], def.text, p);
        if (i >= 0) {
          samples[q][a].push(r.dt);
          rows[q][a] += r.rows;
        }
      }
    }
  }
  const results = {};
  for (const [q, def] of Object.entries(queries)) {
    const actors = Object.fromEntries(
      ACTORS.map((a) => [a, { ...stats(samples[q][a]), rows_per_run: r3(rows[q][a] / iterations) }]),
    );
    const vs = (a) => ({
      ratio_p50: r3(actors[a].p50_ms / actors.owner.p50_ms),
      ratio_p95: r3(actors[a].p95_ms / actors.owner.p95_ms),
      added_p50_ms: r3(actors[a].p50_ms - actors.owner.p50_ms),
      added_p95_ms: r3(actors[a].p95_ms - actors.owner.p95_ms),
    });
    results[q] = {
      title: def.title,
      kind: def.kind,
      sql: def.text.replace(/\s+/g, " "),
      actors,
      vs_owner: { member: vs("member"), non_member: vs("non_member"), service: vs("service") },
      // one EXPLAIN ANALYZE each, after the timing: where the member's extra time goes
      plans: {
        owner: await explain(sql, f.claims.owner, def.text, f.params[q](1)),
        member: await explain(sql, f.claims.member, def.text, f.params[q](1)),
      },
    };
  }
  return {
    data: { ...data, member: f.member, member_teams: f.member_teams, non_member: f.non_member },
    iterations,
    warmup,
    results,
  };
}

/**
 * runRls({ sizes, iterations, toxicityPerMolecule, scale, log }) → Promise<report>
 * For each size in `sizes` (molecules; ascending): db:scale to that size (unless `scale` is false: then one
 * point, the data as it is), the toxicity step, and `measure`. The report: { command, method, sizes:
 * [{ molecules, data, data_steps, iterations, results }] }.
 */
export async function runRls({ sizes, iterations, toxicityPerMolecule = 5, scale = true, log = console.error }) {
  const c = stackConfig();
  const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
  const points = [];
  try {
    await sql.unsafe(`set statement_timeout = 0`);
    for (const size of scale ? sizes : [null]) {
      const steps = [];
      if (size) {
        let t = performance.now();
        const removed = await removeToxicityData(sql);
        if (removed) steps.push({ step: "remove bench toxicity records", seconds: r3((performance.now() - t) / 1000) });
        t = performance.now();
        log(`== rls: db:scale to ${size} molecules`);
        // db:scale makes toxicity records itself once it knows --toxicity (the data work, issue 10): then ask
        // it for the same number the suite's own step would make, and that step finds them and does nothing.
        const scaleArgs = ["--molecules", String(size)];
        if (readFileSync(join(ROOT, "scripts/db-scale.mjs"), "utf8").includes("--toxicity")) {
          scaleArgs.push("--toxicity", String(size * toxicityPerMolecule));
        }
        await run(process.execPath, [join(ROOT, "scripts/db-scale.mjs"), ...scaleArgs]);
        steps.push({ step: `npm run db:scale -- ${scaleArgs.join(" ")}`, seconds: r3((performance.now() - t) / 1000) });
      }
      const tox = await ensureToxicityData(sql, { perMolecule: toxicityPerMolecule, log });
      steps.push({ step: `toxicity records (${tox.reason})`, seconds: tox.seconds, records: tox.records });
      log(`== rls: measuring (${iterations} iterations × ${Object.keys(QUERIES).length} queries × 4 actors)`);
      const m = await measure(sql, { iterations, warmup: Math.max(10, Math.floor(iterations / 10)) });
      points.push({ molecules: m.data.molecules, data_steps: steps, ...m });
      for (const [q, r] of Object.entries(m.results)) {
        log(
          `  ${q.padEnd(24)} p50 owner ${r.actors.owner.p50_ms} member ${r.actors.member.p50_ms} non-member ${r.actors.non_member.p50_ms} service ${r.actors.service.p50_ms} ms; member ×${r.vs_owner.member.ratio_p50} (+${r.vs_owner.member.added_p50_ms} ms); p95 member ${r.actors.member.p95_ms} ms`,
        );
      }
    }
  } finally {
    await sql.end();
  }
  return {
    method: "one direct connection (postgres.js, prepare: false); each run its own transaction: set_config(claims) " +
      "[+ set_config(role)], the timed query, commit; the four actors interleaved, their order rotating each " +
      "iteration; client-side time of the query alone (local TCP round trip included); HDR histogram at 1 µs",
    actors: {
      owner: "postgres (table owner, BYPASSRLS): no RLS",
      member: "role authenticated + claims of a member of the teams",
      non_member: "role authenticated + claims of a user in no shared team",
      service: "role cryo_service + claims (team_id of the member's first team, scope molecules/mixtures/toxicity:read)",
    },
    sizes: points,
  };
}
