#!/usr/bin/env node
// `node scripts/bench/rls-gap.mjs`: the RLS gap side by side — the same indexed lookup as the table owner
// (postgres, no RLS), a team member, a signed-in non-member and a scoped service client, interleaved in one
// process on one connection (order rotating every iteration), so every actor sees the same machine noise.
// Needs the scale data set (`npm run db:scale -- --molecules N`) in the stack it runs against (dev, or
// CRYO_STACK=test).
//
// Two queries, both a lookup by InChIKey through molecules_inchikey_idx:
//   team_lookup    a molecule private to the member's first team: the member's policy has to evaluate its
//                  membership InitPlan; the service client (scoped to that team) reads it; the non-member
//                  gets no row after the same InitPlan.
//   public_lookup  a public molecule: `visibility = 'public' or …` short-circuits, the InitPlan never runs
//                  (the control: what RLS costs without the membership helper).
// Every run is its own transaction: `begin`, one statement setting `request.jwt.claims` and the role (the
// owner sets the claims only), the timed query, `commit` — only the query is timed.
//
//   --iterations N     timed runs per query and actor (default 2000), after N/10 warm-up runs
//   --mode client|server
//                      client (default): wall time of the query seen by the client, round trip included;
//                      server: planning + execution time reported by EXPLAIN (ANALYZE, TIMING OFF) of the same
//                      query (no round trip: the database's own cost)
//   --label NAME       names the run (e.g. "before", "after"); the report goes to reports/rls-gap/<NAME>-<mode>.json
//   --member EMAIL     the member (default scale-user-1@scale.local)
//   --claims-team-ids  users' claims also carry app_metadata.team_ids (their teams, as a custom access-token
//                      hook would add them): for measuring a claims-reading helper variant (docs/rls-performance.md)
// Output: the JSON report (per query and actor: n, p50, p95, p99, mean in ms; ratio and added ms vs owner at
// p50 and p95) and a summary table on stdout. Exit code 2 on bad arguments, 1 without scale data.
import postgres from "postgres";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import os from "node:os";
import { ROOT, stackConfig } from "../lib/config.mjs";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "2000" },
    mode: { type: "string", default: "client" },
    label: { type: "string", default: "run" },
    member: { type: "string", default: "scale-user-1@scale.local" },
    "claims-team-ids": { type: "boolean", default: false },
  },
});
const ITER = Number(values.iterations);
const WARMUP = Math.max(20, Math.floor(ITER / 10));
const MODE = values.mode;
if (
  !Number.isInteger(ITER) || ITER < 10 || !["client", "server"].includes(MODE) || !/^[\w.-]{1,40}$/.test(values.label)
) {
  console.error("usage: rls-gap.mjs [--iterations N>=10] [--mode client|server] [--label NAME] [--member EMAIL]");
  process.exit(2);
}

const c = stackConfig();
const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });

const LOOKUP =
  `select id, name, inchikey, smiles, molecular_weight, team_id, visibility from public.molecules where inchikey = $1`;

/** Sorted-array percentile (nearest rank), in ms rounded to the µs. */
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  const r = (x) => Math.round(x * 1000) / 1000;
  return {
    n: s.length,
    p50_ms: r(at(0.5)),
    p95_ms: r(at(0.95)),
    p99_ms: r(at(0.99)),
    mean_ms: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

async function once(actor, key) {
  let dt = 0;
  let rows = 0;
  await sql.begin(async (tx) => {
    await tx.unsafe(
      actor.role
        ? `select pg_catalog.set_config('request.jwt.claims', $1, true), pg_catalog.set_config('role', $2, true)`
        : `select pg_catalog.set_config('request.jwt.claims', $1, true), $2::text`,
      [actor.claims, actor.role ?? "none"],
    );
    if (MODE === "client") {
      const t = performance.now();
      const r = await tx.unsafe(LOOKUP, [key]);
      dt = performance.now() - t;
      rows = r.length;
    } else {
      const [{ "QUERY PLAN": plan }] = await tx.unsafe(
        `explain (analyze, timing off, summary, format json) ${
          LOOKUP.replace("$1", "'" + key.replace(/'/g, "''") + "'")
        }`,
      );
      dt = plan[0]["Planning Time"] + plan[0]["Execution Time"];
      rows = plan[0].Plan["Actual Rows"];
    }
  });
  return { dt, rows };
}

try {
  await sql.unsafe(`set statement_timeout = 0`);
  const [member] = await sql`select id from auth.users where email = ${values.member}`;
  if (!member) throw new Error(`no ${values.member} in the ${c.name} stack: run \`npm run db:scale\` first`);
  const memberTeams = (await sql`select team_id from public.team_members where user_id = ${member.id} order by team_id`)
    .map((t) => t.team_id);
  // A signed-in user sharing no team with the member.
  const [outsider] = await sql`select u.id, u.email from auth.users u
    where u.email like '%@scale.local'
      and exists (select 1 from public.team_members m where m.user_id = u.id)
      and not exists (select 1 from public.team_members m where m.user_id = u.id and m.team_id = any (${memberTeams}::uuid[]))
    order by u.email limit 1`;
  const [{ molecules }] = await sql`select count(*)::int as molecules from public.molecules`;
  const team = memberTeams[0];
  const teamKeys = (await sql`select inchikey from public.molecules where team_id = ${team} and visibility <> 'public'
    order by inchikey limit 500`).map((r) => r.inchikey);
  const publicKeys = (await sql`select inchikey from public.molecules tablesample bernoulli (0.2) repeatable (42)
    where visibility = 'public' order by inchikey limit 500`).map((r) => r.inchikey);
  if (!outsider || !teamKeys.length || !publicKeys.length) throw new Error("the scale data set is incomplete");

  const teamsOf = async (id) =>
    (await sql`select team_id from public.team_members where user_id = ${id} order by team_id`).map((t) => t.team_id);
  const withTeams = values["claims-team-ids"];
  const userClaims = (id, email, teamIds) =>
    JSON.stringify({
      sub: id,
      role: "authenticated",
      aud: "authenticated",
      email,
      aal: "aal1",
      is_anonymous: false,
      app_metadata: { provider: "email", providers: ["email"], ...(withTeams ? { team_ids: teamIds } : {}) },
    });
  const actors = [
    { name: "owner", claims: "{}", role: null },
    { name: "member", claims: userClaims(member.id, values.member, memberTeams), role: "authenticated" },
    {
      name: "non_member",
      claims: userClaims(outsider.id, outsider.email, await teamsOf(outsider.id)),
      role: "authenticated",
    },
    {
      name: "service",
      claims: JSON.stringify({
        sub: "svc:rls-gap",
        role: "cryo_service",
        client_id: "svc:rls-gap",
        scope: "molecules:read",
        team_id: team,
      }),
      role: "cryo_service",
    },
  ];
  const queries = { team_lookup: teamKeys, public_lookup: publicKeys };

  console.log(
    `rls-gap (${MODE}) on the ${c.name} stack: ${molecules} molecules; member ${values.member} (${memberTeams.length} teams), ` +
      `non-member ${outsider.email}; ${ITER} runs per query and actor after ${WARMUP} warm-up runs`,
  );
  const samples = {};
  const rows = {};
  for (const q of Object.keys(queries)) {
    samples[q] = Object.fromEntries(actors.map((a) => [a.name, []]));
    rows[q] = Object.fromEntries(actors.map((a) => [a.name, 0]));
  }
  for (let i = -WARMUP; i < ITER; i++) {
    for (const [q, keys] of Object.entries(queries)) {
      const key = keys[Math.abs(i * 7) % keys.length];
      // rotate the order, so no actor always runs first (or on a cache the one before it warmed)
      const k = ((i % actors.length) + actors.length) % actors.length;
      for (const a of [...actors.slice(k), ...actors.slice(0, k)]) {
        const r = await once(a, key);
        if (i >= 0) {
          samples[q][a.name].push(r.dt);
          rows[q][a.name] += r.rows;
        }
      }
    }
  }

  const results = Object.keys(queries).map((q) => {
    const by = Object.fromEntries(
      actors.map((a) => [a.name, { ...stats(samples[q][a.name]), rows_per_run: rows[q][a.name] / ITER }]),
    );
    const vs = (name) => ({
      ratio_p50: Number((by[name].p50_ms / by.owner.p50_ms).toFixed(3)),
      ratio_p95: Number((by[name].p95_ms / by.owner.p95_ms).toFixed(3)),
      added_p50_ms: Number((by[name].p50_ms - by.owner.p50_ms).toFixed(3)),
      added_p95_ms: Number((by[name].p95_ms - by.owner.p95_ms).toFixed(3)),
    });
    return {
      query: q,
      actors: by,
      vs_owner: { member: vs("member"), non_member: vs("non_member"), service: vs("service") },
    };
  });
  const report = {
    command: `node scripts/bench/rls-gap.mjs --iterations ${ITER} --mode ${MODE} --label ${values.label}` +
      (withTeams ? " --claims-team-ids" : ""),
    label: values.label,
    mode: MODE,
    generated_at: new Date().toISOString(),
    stack: c.name,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    claims_team_ids: withTeams,
    data: {
      molecules,
      member: values.member,
      member_teams: memberTeams.length,
      non_member: outsider.email,
      service_team: team,
    },
    iterations: ITER,
    warmup: WARMUP,
    sql: LOOKUP,
    method: MODE === "client"
      ? "one direct connection (postgres.js, unprepared); each run its own transaction; claims and role set in one statement; only the query timed client-side; actors interleaved, order rotating"
      : "as client mode, but the query is run under EXPLAIN (ANALYZE, TIMING OFF, SUMMARY) and the sample is Planning Time + Execution Time",
    results,
  };
  const dir = join(ROOT, "reports", "rls-gap");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${values.label}-${MODE}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  for (const r of results) {
    console.log(`\n${r.query}`);
    for (const a of actors) {
      const s = r.actors[a.name];
      const v = r.vs_owner[a.name];
      console.log(
        `  ${a.name.padEnd(11)} p50 ${s.p50_ms.toFixed(3)} ms  p95 ${s.p95_ms.toFixed(3)} ms  rows ${s.rows_per_run}` +
          (v
            ? `  ×${v.ratio_p50} p50 (${v.added_p50_ms >= 0 ? "+" : ""}${v.added_p50_ms} ms), ×${v.ratio_p95} p95`
            : ""),
      );
    }
  }
  console.log(`\nwrote ${file}`);
} finally {
  await sql.end({ timeout: 5 });
}
