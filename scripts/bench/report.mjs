// The KPI report of `npm run bench`: reads the parts' JSON in one reports/<date>/ folder and writes kpi.json,
// README.md (every KPI of issue 13: the plan's target, ours, the measured value, pass/miss, by how much and
// why) and two SVG charts rendered headless with vega + vega-lite (View.toSVG(), no canvas).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import postgres from "postgres";
import * as vega from "vega";
import { compile } from "vega-lite";
import { ROOT } from "../lib/config.mjs";

const r2 = (x) => Math.round(x * 100) / 100;
const r3 = (x) => Math.round(x * 1000) / 1000;
const fmtN = (n) => n >= 1e6 ? `${r2(n / 1e6)}M` : n >= 1e3 ? `${r2(n / 1e3)}k` : String(n);

/** machineDescription(c) → { cpus, cpu_model, memory_gib, kernel, node, deno, postgres, load_average, kind, note } */
export async function machineDescription(c) {
  let pg = null;
  try {
    const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
    [{ version: pg }] = await sql`select version()`;
    await sql.end();
  } catch { /* the stack is down: leave it out */ }
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const pgbouncer = spawnSync("pgbouncer", ["--version"], { encoding: "utf8" }).stdout?.split("\n")[0] || null;
  return {
    kind: "node (see /work/.library/env/machines/node.md: 2 cores, 24 GiB, shared)",
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_gib: r2(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    deno: pkg.devDependencies?.deno,
    postgres: pg,
    pgbouncer,
    load_average_at_end: loadavg().map(r2),
    note: process.env.BENCH_MACHINE_NOTE ?? null,
  };
}

function read(dir, name) {
  const f = join(dir, name);
  return existsSync(f) ? JSON.parse(readFileSync(f, "utf8")) : null;
}

/** The member's extra plan nodes vs the owner's: the "why" of an RLS overhead. */
function planWhy(r) {
  const m = r.plans?.member, o = r.plans?.owner;
  if (!m || !o) return "";
  const extra = m.nodes.filter((n) => n.role || n.filter).map((n) =>
    n.role
      ? `${n.role.replace(/ \(returns.*\)/, "")} (${n.node}${n.function ? ` ${n.function}` : ""}, ${n.loops} loop${
        n.loops === 1 ? "" : "s"
      }, ${n.total_ms} ms)`
      : `the policy filter on ${n.relation ?? n.node} (${n.filter.slice(0, 90)})`
  );
  const inPlan = r3(m.planning_ms + m.execution_ms - o.planning_ms - o.execution_ms);
  const client = r.vs_owner?.member?.added_p50_ms;
  return `member plan: planning ${m.planning_ms} ms vs owner ${o.planning_ms} ms, execution ${m.execution_ms} vs ${o.execution_ms} ms` +
    (extra.length ? `; adds ${extra.join("; ")}` : "") +
    (client !== undefined
      ? `; planning + execution account for ${inPlan >= 0 ? "+" : ""}${inPlan} ms of the +${client} ms seen by the client: ` +
        "the rest is outside planning and execution (parse and rewrite, where the policies are added), which EXPLAIN does not time"
      : "");
}

/** buildKpis(parts) → [{ id, kpi, plan_target, our_target, measured, status, miss_by?, why?, source }] */
export function buildKpis({ rls, normal, steady, module: mod, tokens, toxicity }) {
  const k = [];
  const add = (o) => k.push({ status: "not measured", ...o });
  const pts = rls?.sizes ?? [];
  const big = pts.at(-1), small = pts[0];
  const q = big?.results ?? {};
  const at = big ? ` at ${fmtN(big.data.molecules)} molecules` : "";

  // RLS overhead, per query (member vs owner, p50)
  for (const [name, r] of Object.entries(q)) {
    const v = r.vs_owner.member;
    const pass = v.ratio_p50 <= 1.10 && v.added_p50_ms < 0.1;
    add({
      id: `rls_overhead.${name}`,
      kpi: `RLS overhead, ${r.title}${at} (member vs owner, p50)`,
      plan_target: "< 5 ms",
      our_target: "≤ 1.10× and < 0.1 ms",
      measured: `×${v.ratio_p50}, ${v.added_p50_ms >= 0 ? "+" : ""}${v.added_p50_ms} ms (owner ${r.actors.owner.p50_ms} ms, member ${r.actors.member.p50_ms} ms)`,
      value: v,
      status: pass ? "pass" : "miss",
      ...(pass ? {} : {
        miss_by: [
          v.ratio_p50 > 1.10 ? `ratio ${r2(v.ratio_p50 - 1.10)} over` : null,
          v.added_p50_ms >= 0.1 ? `${r3(v.added_p50_ms - 0.1)} ms over` : null,
        ].filter(Boolean).join(", "),
        why: planWhy(r),
      }),
      source: "rls.json",
    });
  }
  // Latency in the database (member, p95)
  const kinds = { standard: { plan: "< 100 ms", ours: 5 }, complex: { plan: "< 500 ms", ours: 50 } };
  for (const [name, r] of Object.entries(q)) {
    const t = kinds[r.kind];
    const p95 = r.actors.member.p95_ms;
    add({
      id: `p95.${name}`,
      kpi: `${r.kind === "complex" ? "Complex" : "Standard"} query p95 as a member: ${r.title}${at}`,
      plan_target: t.plan,
      our_target: `< ${t.ours} ms`,
      measured: `${p95} ms (p50 ${r.actors.member.p50_ms} ms)`,
      value: p95,
      status: p95 < t.ours ? "pass" : "miss",
      ...(p95 < t.ours ? {} : {
        miss_by: `${r3(p95 - t.ours)} ms`,
        why: `p95 vs p50 ${r.actors.member.p50_ms} ms: ${
          p95 > 3 * r.actors.member.p50_ms
            ? "the tail, not the plan (CPU contention on the shared cores)"
            : "the plan's own cost"
        }; ${planWhy(r)}`,
      }),
      source: "rls.json",
    });
  }
  // Growth: lookup p50 at the largest size vs the smallest
  if (big && small && big !== small && q.inchikey_lookup) {
    const a = small.results.inchikey_lookup.actors.member.p50_ms, b = q.inchikey_lookup.actors.member.p50_ms;
    const ratio = r3(b / a);
    add({
      id: "growth.inchikey_lookup",
      kpi: `Lookup p50 at ${fmtN(big.data.molecules)} vs ${fmtN(small.data.molecules)} molecules (member)`,
      plan_target: "—",
      our_target: "≤ 1.5× (1M vs 10k)",
      measured: `×${ratio} (${b} ms vs ${a} ms)`,
      value: ratio,
      status: ratio <= 1.5 ? "pass" : "miss",
      ...(ratio <= 1.5 ? {} : {
        miss_by: `${r2(ratio - 1.5)}`,
        why: `index depth / cache misses: ${planWhy(q.inchikey_lookup)}`,
      }),
      source: "rls.json",
    });
  } else add({ id: "growth.inchikey_lookup", kpi: "Lookup p50 growth (largest vs smallest size)", plan_target: "—", our_target: "≤ 1.5×", measured: "needs two sizes" });

  // Pooled acquisition
  const acq = steady?.result?.headline?.acquire_ms_p99_warm_c4;
  if (acq !== undefined && acq !== null) {
    const v = typeof acq === "number" ? acq : Infinity;
    add({
      id: "acquire_p99_warm",
      kpi: "Pooled connection acquisition p99, warm (c=4 = pool slots)",
      plan_target: "< 10 ms",
      our_target: "< 1 ms",
      measured: `${acq} ms (p50 ${steady.result.headline.acquire_ms_p50_warm_c4} ms)`,
      value: acq,
      status: v < 1 ? "pass" : "miss",
      ...(v < 1 ? {} : {
        miss_by: `${typeof acq === "number" ? r3(acq - 1) : acq} ms`,
        why: "the module's acquisition histogram (cryo_db_acquire_seconds): waiting for a free slot when a request arrives while the 4 are busy",
      }),
      source: "load-steady.json",
    });
  } else add({ id: "acquire_p99_warm", kpi: "Pooled connection acquisition p99, warm", plan_target: "< 10 ms", our_target: "< 1 ms", measured: "—" });

  // Module CPU vs bare postgres.js
  const m16 = mod?.result?.["c=16"];
  if (m16) {
    const ratio = r2(m16.module_one_round_trip.deno_cpu_us_per_op / m16.postgres_js_select1.deno_cpu_us_per_op);
    add({
      id: "module_cpu_ratio",
      kpi: "Database module's Deno CPU per pooled transaction vs bare postgres.js (c=16)",
      plan_target: "—",
      our_target: "≤ 1.25×",
      measured: `×${ratio} (${m16.module_one_round_trip.deno_cpu_us_per_op} µs vs ${m16.postgres_js_select1.deno_cpu_us_per_op} µs)`,
      value: ratio,
      status: ratio <= 1.25 ? "pass" : "miss",
      ...(ratio <= 1.25 ? {} : {
        miss_by: `${r2(ratio - 1.25)}`,
        why: "Deno process CPU: the module's transaction (claims + role + statement_timeout + read-only + query as one message, its queue, metrics and breaker) vs a bare `select 1`; the bare driver is not running a transaction or setting claims",
      }),
      source: "load-module.json",
    });
  } else add({ id: "module_cpu_ratio", kpi: "Module CPU vs bare postgres.js", plan_target: "—", our_target: "≤ 1.25×", measured: "—" });

  // HTTP throughput: vs pgbench select 1, and vs this architecture's limit on this machine
  const h = steady?.result?.headline;
  const phase = (name) => steady?.result?.phases?.find((p) => p.name === name);
  if (h) {
    add({
      id: "http_vs_pgbench",
      kpi: "Pooled HTTP throughput (/health/ping) vs pgbench select 1 through the same pooler, c=16 / c=64",
      plan_target: "—",
      our_target: "reported",
      measured: `×${h.ratio_http_vs_pgbench_select1_c16} / ×${h.ratio_http_vs_pgbench_select1_c64} (${h.http_rps_c16} / ${h.http_rps_c64} req/s vs ${h.pgbench_select1_tps_c16} / ${h.pgbench_select1_tps_c64} TPS)`,
      value: { c16: h.ratio_http_vs_pgbench_select1_c16, c64: h.ratio_http_vs_pgbench_select1_c64 },
      status: "info",
      source: "load-steady.json",
    });
    const pb = phase("pgbench select 1, c=16");
    const drv = m16?.postgres_js_select1?.deno_cpu_us_per_op;
    const httpUs = h.deno_cpu_us_per_request_without_db_c16;
    if (pb && drv && httpUs) {
      const parts = { http_layer: httpUs, driver: drv, pgbouncer: pb.cpu.pgbouncer.us_per_request, postgres: pb.cpu.postgres.us_per_request };
      const us = Object.values(parts).reduce((a, b) => a + b, 0);
      const cores = pb.cpu.cores;
      const limit = Math.round((cores * 1e6) / us);
      add({
        id: "http_vs_architecture_limit",
        kpi: "Pooled HTTP throughput vs this architecture's limit on this machine, c=16",
        plan_target: "—",
        our_target: "reported",
        measured: `×${r2(h.http_rps_c16 / limit)} (${h.http_rps_c16} req/s vs limit ${limit} req/s = ${cores} cores / ${us} µs of CPU per request: ${
          Object.entries(parts).map(([k, v]) => `${k} ${v}`).join(" + ")
        } µs)`,
        value: { ratio: r3(h.http_rps_c16 / limit), limit_rps: limit, cpu_us_per_request: parts },
        status: "info",
        why: `Deno spends ${phase("http /health/ping (one round trip), c=16")?.cpu?.deno?.us_per_request ?? "?"} µs per /health/ping against ${
          httpUs + drv
        } µs for HTTP alone + the bare driver: the database module and the middleware are the difference (see the module KPI); where the CPU of a /health/ping went: ${
          ["deno", "pgbouncer", "postgres", "load_generator"].map((x) =>
            `${x} ${phase("http /health/ping (one round trip), c=16")?.cpu?.[x]?.us_per_request ?? "?"} µs`
          ).join(", ")
        } per request (the limit leaves out the load generator, which shares the cores)`,
        source: "load-steady.json, load-module.json",
      });
    }
  } else add({ id: "http_vs_pgbench", kpi: "Pooled HTTP throughput vs pgbench select 1 / the architecture's limit", plan_target: "—", our_target: "reported", measured: "—" });

  // Database CPU at the defined normal load
  const nh = normal?.result?.headline;
  if (nh) {
    const pct = nh.db_cpu_percent_of_machine;
    add({
      id: "db_cpu_normal_load",
      kpi: `Database CPU at the normal load (${nh.rate_target} req/s of a member's reads; achieved ${nh.tps})`,
      plan_target: "< 40 %",
      our_target: "< 40 %",
      measured: `${pct} % of the machine's ${normal.result.phases[0].cpu.cores} cores (${nh.db_cpu_us_per_request} µs per request; pgbouncer ${
        r2(nh.pgbouncer_cpu_share_of_machine * 100)
      } %)`,
      value: pct,
      status: pct < 40 ? "pass" : "miss",
      ...(pct < 40 ? {} : { miss_by: `${r2(pct - 40)} points`, why: "Postgres backends' CPU per request (see the plans in rls.json)" }),
      source: "load-normal.json",
    });
  } else add({ id: "db_cpu_normal_load", kpi: "Database CPU at the normal load", plan_target: "< 40 %", our_target: "< 40 %", measured: "—" });

  // Auth: the token path
  const v = tokens?.verification_us_per_request;
  if (v) {
    add({
      id: "token_verification",
      kpi: "Token verification CPU per request, cold vs cached (user / service)",
      plan_target: "—",
      our_target: "reported",
      measured: `${v.user_cold_us} → ${v.user_cached_us} µs / ${v.service_cold_us} → ${v.service_cached_us} µs; issuance p50 ${tokens.issuance_ms?.p50} ms`,
      value: v,
      status: "info",
      source: "tokens-bench.json",
    });
  } else add({ id: "token_verification", kpi: "Token verification CPU (auth scenario)", plan_target: "—", our_target: "reported", measured: "—" });

  // Toxicity API scenario (provided by the toxicity API work)
  if (toxicity && !toxicity.skipped) {
    // its report (scripts/bench/toxicity-api.mjs): profile { cold, cached } and lookup_1000 { json, csv }, each
    // { n, p50, p95 } in ms over HTTP with a verified user token; the API's own goals (issue 11)
    const cold = toxicity.profile?.cold, lk = toxicity.lookup_1000?.json;
    if (cold) {
      add({
        id: "toxicity_api.profile",
        kpi: "Toxicity profile over HTTP, uncached (p95; verified user token)",
        plan_target: "< 100 ms",
        our_target: "< 20 ms (issue 11)",
        measured: `${cold.p95} ms (p50 ${cold.p50}; cached p50 ${toxicity.profile.cached?.p50} ms)`,
        value: cold.p95,
        status: cold.p95 < 20 ? "pass" : "miss",
        ...(cold.p95 < 20 ? {} : { miss_by: `${r2(cold.p95 - 20)} ms`, why: "see toxicity-api.json (HTTP + token + database)" }),
        source: "toxicity-api.json",
      });
    }
    if (lk) {
      add({
        id: "toxicity_api.lookup_1000",
        kpi: "Toxicity lookup of 1,000 identifiers over HTTP (p95, JSON)",
        plan_target: "< 500 ms",
        our_target: "< 100 ms (issue 11)",
        measured: `${lk.p95} ms (p50 ${lk.p50}; CSV p95 ${toxicity.lookup_1000.csv?.p95} ms)`,
        value: lk.p95,
        status: lk.p95 < 100 ? "pass" : "miss",
        ...(lk.p95 < 100 ? {} : { miss_by: `${r2(lk.p95 - 100)} ms`, why: "see toxicity-api.json (HTTP + token + database)" }),
        source: "toxicity-api.json",
      });
    }
    if (!cold && !lk) {
      add({
        id: "toxicity_api",
        kpi: "Toxicity API scenario (scripts/bench/toxicity-api.mjs)",
        plan_target: "< 100 ms / < 500 ms",
        our_target: "see its JSON",
        measured: JSON.stringify(Object.keys(toxicity)).slice(0, 300),
        status: "info",
        source: "toxicity-api.json",
      });
    }
  } else {
    add({
      id: "toxicity_api",
      kpi: "Toxicity API scenario (HTTP)",
      plan_target: "< 100 ms / < 500 ms",
      our_target: "—",
      measured: toxicity?.skipped ? `skipped: ${toxicity.skipped}` : "—",
    });
  }
  return k;
}

/** SVG of a vega-lite spec, rendered headless (no canvas). */
async function svg(spec) {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const out = await view.toSVG();
  view.finalize();
  return out;
}

function sizeChart(rls) {
  const values = [];
  for (const p of rls?.sizes ?? []) {
    for (const [name, r] of Object.entries(p.results)) {
      for (const a of ["owner", "member"]) {
        values.push({ molecules: p.data.molecules, query: name, actor: a, p50_ms: Math.max(0.001, r.actors[a].p50_ms) });
      }
    }
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Query latency (p50) vs data size: owner (dashed) and member",
    width: 560,
    height: 320,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "molecules", type: "quantitative", scale: { type: "log" }, title: "molecules" },
      y: { field: "p50_ms", type: "quantitative", scale: { type: "log" }, title: "p50 (ms)" },
      color: { field: "query", type: "nominal" },
      strokeDash: { field: "actor", type: "nominal", sort: ["member", "owner"] },
    },
  };
}

function concurrencyChart(steady) {
  const values = [];
  for (const p of steady?.result?.phases ?? []) {
    if (!p.latency_ms || !p.connections) continue;
    const path = p.name.replace(/, c=\d+$/, "");
    for (const q of ["p50", "p99"]) values.push({ connections: p.connections, path, quantile: q, ms: p.latency_ms[q] });
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "HTTP latency vs concurrency (p50 solid, p99 dashed)",
    width: 560,
    height: 320,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "connections", type: "quantitative", scale: { type: "log", base: 2 }, title: "concurrent connections" },
      y: { field: "ms", type: "quantitative", title: "latency (ms)" },
      color: { field: "path", type: "nominal" },
      strokeDash: { field: "quantile", type: "nominal" },
    },
  };
}

/** For each KPI that can miss: the change that would close it (the report's closing note). */
const CLOSE = {
  rls_overhead:
    "The member's extra cost is the membership InitPlan and the policy filter on the rows read; the helpers are plpgsql (their query is planned " +
    "once per connection, 20261130070000_lean_access_helpers.sql), so what remains is mostly per-statement work outside planning and execution " +
    "(the policies' rewrite). On a 0.1 ms lookup RLS with no helper call at all is already about ×1.2 (docs/rls-performance.md, " +
    "`node scripts/bench/rls-gap.mjs`). What would close more of it: one combined helper per policy (the service path calls two), and team ids " +
    "carried in the token (custom access-token hook) once a revocation check cheaper than the probe exists. For the batch lookup the absolute bound " +
    "(0.1 ms) is the policy filter over 1,000 rows (≈ 0.5 µs each); its ratio is the meaningful target there.",
  p95:
    "A p95 far above its p50 is the tail of a shared 2-core machine (other sessions, pg_cron refreshes), not the plan: re-run on an idle machine; " +
    "a p95 close to its p50 is the plan itself (see its nodes in rls.json).",
  "growth.inchikey_lookup": "Index depth or cache misses at the larger size: check the plan's buffers (`npm run explain`) and shared_buffers.",
  acquire_p99_warm: "Requests waiting for one of the module's 4 slots: raise CRYO_DB_POOL_MAX or shorten transactions.",
  module_cpu_ratio:
    "The module's JavaScript per transaction (the one-message transaction text with claims, role, timeout and read-only; its queue, deadline, " +
    "breaker and Prometheus metrics) against a bare `select 1`. What would close it: profile `scripts/load/module-bench.ts` with `deno run --cpu-prof` " +
    "and cut per-transaction allocations (a prebuilt settings prefix per principal, metric children looked up once, no per-call closures); " +
    "re-measure with `npm run load -- module`.",
  db_cpu_normal_load: "The Postgres CPU per request of the normal-load mix (rls.json plans): a cheaper plan for the costliest read.",
};
const closeFor = (id) => CLOSE[id] ?? CLOSE[id.split(".")[0]];

const cell = (s) => String(s ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * writeReport(dir, { run, machine }) → Promise<{ kpis }>: kpi.json, README.md, latency-vs-size.svg and
 * latency-vs-concurrency.svg in `dir`, from the parts' JSON there (missing parts: "not measured").
 */
export async function writeReport(dir, { run, machine }) {
  const parts = {
    rls: read(dir, "rls.json"),
    normal: read(dir, "load-normal.json"),
    steady: read(dir, "load-steady.json"),
    module: read(dir, "load-module.json"),
    tokens: read(dir, "tokens-bench.json"),
    toxicity: read(dir, "toxicity-api.json"),
  };
  const kpis = buildKpis(parts);
  writeFileSync(join(dir, "kpi.json"), `${JSON.stringify({ run, machine, kpis }, null, 2)}\n`);
  writeFileSync(join(dir, "latency-vs-size.svg"), await svg(sizeChart(parts.rls)));
  writeFileSync(join(dir, "latency-vs-concurrency.svg"), await svg(concurrencyChart(parts.steady)));

  const L = [];
  L.push(`# KPI report (${run.started_at.slice(0, 10)})`, "");
  L.push(
    `Produced by \`${run.command}\` in ${run.seconds} s (parts: ${run.parts.join(", ")}${run.quick ? "; QUICK smoke run: the numbers mean nothing" : ""}).`,
    "",
  );
  L.push(
    `Machine: ${machine.cpus} × ${machine.cpu_model}, ${machine.memory_gib} GiB, Linux ${machine.kernel}; ${machine.postgres ?? "Postgres ?"}; ${
      machine.pgbouncer ?? "pgbouncer"
    }; Node ${machine.node}; Deno ${machine.deno}. Kind: ${machine.kind}. Load average at the end: ${machine.load_average_at_end.join(" ")}.`,
    "",
  );
  if (machine.note) L.push(`**${machine.note}**`, "");
  if (run.failures?.length) L.push(`Failed parts: ${run.failures.map((f) => `${f.part} (${f.error})`).join("; ")}.`, "");
  L.push("## KPIs", "", "| KPI | plan's target | our target | measured | result | missed by | why |", "|---|---|---|---|---|---|---|");
  for (const x of kpis) {
    L.push(`| ${cell(x.kpi)} | ${cell(x.plan_target)} | ${cell(x.our_target)} | ${cell(x.measured)} | ${x.status} | ${cell(x.miss_by)} | ${cell(x.why)} |`);
  }
  L.push("");
  const missed = kpis.filter((x) => x.status === "miss");
  if (missed.length) {
    L.push("## What missed, and what would close it", "");
    const seen = new Set();
    for (const x of missed) {
      const key = CLOSE[x.id] ? x.id : x.id.split(".")[0];
      if (seen.has(key)) continue;
      seen.add(key);
      const which = missed.filter((y) => (CLOSE[y.id] ? y.id : y.id.split(".")[0]) === key);
      L.push(`- **${which.map((y) => y.kpi).join("; ")}** — missed by ${which.map((y) => y.miss_by).join("; ")}. ${closeFor(x.id) ?? ""}`);
    }
    L.push("");
  }
  const pts = parts.rls?.sizes ?? [];
  if (pts.length) {
    L.push("## RLS suite", "", `Command: \`${parts.rls.command}\`. Method: ${parts.rls.method}.`, "");
    L.push(`Actors: ${Object.entries(parts.rls.actors).map(([k, v]) => `**${k}** ${v}`).join("; ")}.`, "");
    for (const p of pts) {
      L.push(
        `### ${fmtN(p.data.molecules)} molecules (${p.data.toxicity_records} toxicity records, ${p.data.mixtures} mixtures, ${p.data.teams} teams, ${p.data.users} users; ${p.iterations} iterations after ${p.warmup} warm-up)`,
        "",
        `Data steps: ${p.data_steps.map((s) => `${s.step} ${s.seconds} s`).join("; ")}.`,
        "",
        "| query | owner p50 / p95 | member p50 / p95 | non-member p50 / p95 | service p50 / p95 | member vs owner p50 | non-member | service | rows (owner / member) |",
        "|---|---|---|---|---|---|---|---|---|",
      );
      for (const [, r] of Object.entries(p.results)) {
        const a = r.actors, v = r.vs_owner;
        const pp = (x) => `${x.p50_ms} / ${x.p95_ms}`;
        const vv = (x) => `×${x.ratio_p50} (${x.added_p50_ms >= 0 ? "+" : ""}${x.added_p50_ms} ms)`;
        L.push(
          `| ${r.title} | ${pp(a.owner)} | ${pp(a.member)} | ${pp(a.non_member)} | ${pp(a.service)} | ${vv(v.member)} | ${vv(v.non_member)} | ${vv(v.service)} | ${a.owner.rows_per_run} / ${a.member.rows_per_run} |`,
        );
      }
      L.push("");
    }
    L.push("![latency vs data size](latency-vs-size.svg)", "");
  }
  if (parts.normal) {
    L.push("## Normal load", "", `Definition: ${parts.normal.result.definition}. Command: \`${parts.normal.command}\`.`, "");
    const ph = parts.normal.result.phases[0];
    L.push(
      `Achieved ${ph.tps} TPS, latency avg ${ph.latency_avg_ms} ms (sd ${ph.latency_stddev_ms}), ${ph.failed_transactions ?? 0} failed. ` +
        `CPU over ${ph.cpu.wall_ms} ms: ${["postgres", "pgbouncer", "pgbench"].map((x) => `${x} ${ph.cpu[x]?.cpu_ms} ms`).join(", ")}; ` +
        `other processes on the machine ${ph.cpu.others_on_machine_cpu_ms} ms (the machine was ${Math.round(ph.cpu.machine_busy.share_of_machine * 100)} % busy).` +
        (parts.normal.result.background
          ? ` Before the phase it waited ${parts.normal.result.background.before.waited_s} s for the database's background work to end` +
            ` (still running: ${parts.normal.result.background.before.still_running.length}; running right after the phase: ${
              parts.normal.result.background.after_phase.map((b) => b.backend_type).join(", ") || "nothing"
            }).`
          : ""),
      "",
    );
  }
  if (parts.steady) {
    L.push("## Pooling (steady) and concurrency", "", `Command: \`${parts.steady.command}\`.`, "");
    L.push("| phase | req/s or TPS | p50 ms | p99 ms | Deno µs/req | pgbouncer µs/req | Postgres µs/req |", "|---|---|---|---|---|---|---|");
    for (const p of parts.steady.result.phases) {
      L.push(
        `| ${p.name} | ${p.ok_rps ?? p.tps ?? ""} | ${p.latency_ms?.p50 ?? (p.latency_avg_ms != null ? `avg ${p.latency_avg_ms}` : "")} | ${p.latency_ms?.p99 ?? ""} | ${
          p.cpu?.deno?.us_per_request ?? ""
        } | ${p.cpu?.pgbouncer?.us_per_request ?? ""} | ${p.cpu?.postgres?.us_per_request ?? ""} |`,
      );
    }
    L.push("", "![latency vs concurrency](latency-vs-concurrency.svg)", "");
  }
  if (parts.module) {
    L.push("## Database module in-process", "", `Command: \`${parts.module.command}\`. ${parts.module.result.note}.`, "");
    L.push("| callers | path | transactions/s | Deno CPU µs per transaction |", "|---|---|---|---|");
    for (const [c, row] of Object.entries(parts.module.result).filter(([k]) => k.startsWith("c="))) {
      for (const [path, x] of Object.entries(row)) L.push(`| ${c} | ${path} | ${x.ops_per_s} | ${x.deno_cpu_us_per_op} |`);
    }
    L.push("");
  }
  if (parts.tokens) L.push("## Auth", "", "See tokens-bench.md beside this file (issuance, verification cold/cached, ping by token kind, audited writes).", "");
  L.push(
    "## Reading these numbers",
    "",
    "Every part runs on a 2-core machine shared with other work, so absolute times move between runs; each comparison " +
      "(owner vs member, module vs bare driver, HTTP vs pgbench) is measured side by side in one run, which keeps ratios " +
      "steadier than absolutes. Client-side query times include the local round trip (an upper bound of the time in the database).",
    "",
  );
  writeFileSync(join(dir, "README.md"), `${L.join("\n")}\n`);
  return { kpis };
}
