#!/usr/bin/env node
// `npm run bench:rls`: what RLS costs on the scale data set (`npm run db:scale` first). Three hot reads —
// a member's keyset list page of molecules, a lookup by InChIKey, a mixture with its components — each run
// as a team member (set local role authenticated + JWT claims, exactly as PostgREST and our edge functions
// do) and as the table owner (postgres, which bypasses RLS), interleaved in one run on one connection so
// both see the same machine noise. Only the query is timed; both sides pay the same transaction wrapper.
// Writes reports/rls-bench.json and reports/rls-bench.md.
//   --iterations N  timed runs per query and side (default 1000), after 100 warm-up runs
import postgres from "postgres";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import os from "node:os";
import { ROOT, stackConfig } from "../lib/config.mjs";
import { latencyStats } from "../load/latency.mjs";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "1000" } } });
const ITER = Number(values.iterations);
const WARMUP = 100;
if (!Number.isInteger(ITER) || ITER < 10) {
  console.error("error: --iterations must be an integer >= 10");
  process.exit(2);
}
const MEMBER = "scale-user-1@scale.local";

const c = stackConfig();
const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });

const QUERIES = {
  list_page: {
    title: "member's list page (50 molecules, keyset on name, id)",
    text: `select id, name, inchikey, molecular_weight from public.molecules
           where (name, id) > ($1, $2::uuid) order by name, id limit 50`,
  },
  inchikey_lookup: {
    title: "lookup by InChIKey",
    text:
      `select id, name, inchikey, smiles, molecular_weight, team_id, visibility from public.molecules where inchikey = $1`,
  },
  mixture_with_components: {
    title: "a mixture with its components",
    text: `select x.id, x.name, c.concentration, c.unit, c.role, m.name as molecule, m.molecular_weight
           from public.mixtures x
           join public.mixture_components c on c.mixture_id = x.id
           join public.molecules m on m.id = c.molecule_id
           where x.id = $1`,
  },
};

const ms = (x) => Number(x.toFixed(3));

async function timed(claims, text, params) {
  let dt = 0;
  let rows = 0;
  await sql.begin(async (tx) => {
    if (claims) {
      await tx.unsafe(`select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true)`, [
        claims,
      ]);
    }
    const t = performance.now();
    const r = await tx.unsafe(text, params);
    dt = performance.now() - t;
    rows = r.length;
  });
  return { dt, rows };
}

try {
  await sql.unsafe(`set statement_timeout = 0`);
  const [member] = await sql`select id from auth.users where email = ${MEMBER}`;
  if (!member) {
    throw new Error(`no ${MEMBER} in the ${c.name} stack: run \`npm run db:scale -- --molecules 1000000\` first`);
  }
  const teams = await sql`select team_id, role from public.team_members where user_id = ${member.id}`;
  const teamIds = teams.map((t) => t.team_id);
  const [{ molecules }] = await sql`select count(*)::int as molecules from public.molecules`;
  const claims = JSON.stringify({
    sub: member.id,
    role: "authenticated",
    aud: "authenticated",
    email: MEMBER,
    aal: "aal1",
    is_anonymous: false,
  });

  // Parameters: deterministic samples (tablesample ... repeatable) of rows the member can read.
  const starts = await sql`select name, id from public.molecules tablesample bernoulli (0.2) repeatable (42)
    where visibility = 'public' or team_id = any (${teamIds}::uuid[]) order by name, id limit 500`;
  const keys = [
    ...(await sql`select inchikey from public.molecules tablesample bernoulli (0.2) repeatable (42)
        where visibility = 'public' order by inchikey limit 250`),
    ...(await sql`select inchikey from public.molecules where team_id = any (${teamIds}::uuid[]) order by inchikey limit 250`),
  ];
  const mixtures =
    await sql`select id from public.mixtures where visibility = 'public' or team_id = any (${teamIds}::uuid[])
    order by md5(id::text) limit 500`;
  const params = {
    list_page: (i) => [starts[i % starts.length].name, starts[i % starts.length].id],
    inchikey_lookup: (i) => [keys[(i * 7) % keys.length].inchikey],
    mixture_with_components: (i) => [mixtures[(i * 13) % mixtures.length].id],
  };

  console.log(
    `bench:rls on the ${c.name} stack: ${molecules} molecules; member ${MEMBER} (${teams.length} teams); ${ITER} runs per query and side`,
  );
  const samples = {};
  for (const q of Object.keys(QUERIES)) samples[q] = { member: [], owner: [], memberRows: 0, ownerRows: 0 };
  for (let i = -WARMUP; i < ITER; i++) {
    for (const [q, def] of Object.entries(QUERIES)) {
      const p = params[q](Math.abs(i));
      // alternate which side goes first, so neither always runs on a cache the other warmed
      const order = i % 2 === 0 ? ["member", "owner"] : ["owner", "member"];
      for (const side of order) {
        const r = await timed(side === "member" ? claims : null, def.text, p);
        if (i >= 0) {
          samples[q][side].push(r.dt);
          samples[q][`${side}Rows`] += r.rows;
        }
      }
    }
  }

  const results = Object.entries(QUERIES).map(([q, def]) => {
    const s = samples[q];
    // Microsecond resolution (the queries take well under a millisecond), from the HDR histogram autocannon uses.
    const stat = (arr) => {
      const l = latencyStats(arr, { unit: 0.001 });
      return { p50_ms: l.p50, p99_ms: l.p99, mean_ms: l.mean };
    };
    const member = stat(s.member);
    const owner = stat(s.owner);
    return {
      query: q,
      title: def.title,
      sql: def.text.replace(/\s+/g, " "),
      member: { ...member, mean_rows: Number((s.memberRows / ITER).toFixed(1)) },
      owner: { ...owner, mean_rows: Number((s.ownerRows / ITER).toFixed(1)) },
      ratio_p50: Number((member.p50_ms / owner.p50_ms).toFixed(2)),
      ratio_p99: Number((member.p99_ms / owner.p99_ms).toFixed(2)),
    };
  });

  const report = {
    command: `npm run bench:rls -- --iterations ${ITER}`,
    generated_at: new Date().toISOString(),
    stack: c.name,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    data: { molecules, member: MEMBER, member_teams: teams.length },
    iterations: ITER,
    warmup: WARMUP,
    method:
      "one direct connection; each run is its own transaction; member = set_config(claims) + set_config(role, authenticated) then the query; owner = postgres (BYPASSRLS); only the query is timed; sides interleaved, order alternating",
    results,
  };
  const scaleFile = join(ROOT, "reports/db-scale.json");
  const scale = existsSync(scaleFile) ? JSON.parse(readFileSync(scaleFile, "utf8")) : null;
  if (scale && scale.stack === c.name) {
    report.data_generation = {
      command: scale.command,
      generated_at: scale.generated_at,
      total_seconds: scale.total_seconds,
      steps: scale.steps,
    };
  }
  mkdirSync(join(ROOT, "reports"), { recursive: true });
  writeFileSync(join(ROOT, "reports/rls-bench.json"), `${JSON.stringify(report, null, 2)}\n`);
  const md = [
    "# RLS overhead benchmark",
    "",
    `Produced by \`${report.command}\` on the ${c.name} stack holding ${molecules} molecules ` +
    `(after \`${report.data_generation?.command ?? "npm run db:scale"}\`) ` +
    `(${report.generated_at}; ${report.machine.cpus} CPUs, ${report.machine.model}).`,
    "",
    `Member: ${MEMBER} (${teams.length} teams), acting as PostgREST does (role authenticated + JWT claims). Owner: postgres, ` +
    "which bypasses RLS. Both sides interleaved on one connection, order alternating; only the query is timed " +
    `(client-side, including the round trip); ${ITER} timed runs each after ${WARMUP} warm-up runs.`,
    "",
    "| query | member p50 | member p99 | owner p50 | owner p99 | ratio p50 | ratio p99 | added p50 | rows (member / owner) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...results.map((r) =>
      `| ${r.title} | ${r.member.p50_ms} ms | ${r.member.p99_ms} ms | ${r.owner.p50_ms} ms | ${r.owner.p99_ms} ms | ` +
      `${r.ratio_p50} | ${r.ratio_p99} | +${
        ms(r.member.p50_ms - r.owner.p50_ms)
      } ms | ${r.member.mean_rows} / ${r.owner.mean_rows} |`
    ),
    "",
    ...(report.data_generation
      ? [
        `Data set: \`${report.data_generation.command}\` took ${report.data_generation.total_seconds} s ` +
        `(${report.data_generation.steps.map((s) => `${s.step}: ${s.seconds} s`).join("; ")}).`,
        "",
      ]
      : []),
    "The machine has 2 shared cores and other work running; absolute times move between runs, the ratios less so.",
    "",
  ].join("\n");
  writeFileSync(join(ROOT, "reports/rls-bench.md"), md);
  for (const r of results) {
    console.log(
      `  ${
        r.query.padEnd(26)
      } member p50 ${r.member.p50_ms} / p99 ${r.member.p99_ms} ms   owner p50 ${r.owner.p50_ms} / p99 ${r.owner.p99_ms} ms   RLS overhead ×${r.ratio_p50} (p50) ×${r.ratio_p99} (p99)`,
    );
  }
  console.log("wrote reports/rls-bench.json and reports/rls-bench.md");
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
} finally {
  await sql.end();
}
