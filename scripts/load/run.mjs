#!/usr/bin/env node
// Load and fault scenarios against the running local stack (CRYO_STACK, default dev; CRYO_PORT_OFFSET).
//   npm run load -- <scenario> [--duration <s>]     scenarios: steady module burst slow-queries pg-restart
//                                                     pooler-restart pool-exhausted all
// HTTP load with autocannon on GET /functions/v1/health/ping (one pooled transaction as anon through the
// database module); the raw baseline is pgbench through the same pgbouncer, as the same login role.
// Writes reports/load-<scenario>.json and .md. Latencies are client-side; acquisition time comes from the
// server's Prometheus histogram (the difference between scrapes before and after each phase).
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readSecrets, ROOT, stackConfig } from "../lib/config.mjs";
import { asPostgresAsync, pgBin, readPid, sleep } from "../lib/proc.mjs";
import { percentile } from "../lib/stats.mjs";
import { pgCtl } from "../stack.mjs";

const c = stackConfig();
const secrets = readSecrets(c);
if (!secrets) {
  console.error(`no ${c.name} stack here: start it first (CRYO_PORT_OFFSET=${process.env.CRYO_PORT_OFFSET || 0} npm start)`);
  process.exit(1);
}
const PING = `${c.functionsUrl}/health/ping`;
const args = process.argv.slice(2);
const scenario = args.find((a) => !a.startsWith("--")) ?? "steady";
const durIdx = args.indexOf("--duration");
const DURATION = durIdx >= 0 ? Number(args[durIdx + 1]) : 15;
const POOLER_POOL_SIZE = Number(process.env.CRYO_POOLER_POOL_SIZE || 20);

/** --- Measurement --- */

function pct(sorted, p) {
  const v = percentile(sorted, p);
  return v === null ? null : Math.round(v * 100) / 100;
}

function summarize(samples, seconds) {
  const lat = samples.map((s) => s.ms).sort((a, b) => a - b);
  const byStatus = {};
  for (const s of samples) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
  const ok = samples.filter((s) => s.status === 200).length;
  const okLat = samples.filter((s) => s.status === 200).map((s) => s.ms).sort((a, b) => a - b);
  const failLat = samples.filter((s) => s.status >= 500).map((s) => s.ms).sort((a, b) => a - b);
  return {
    requests: samples.length,
    throughput_rps: Math.round(samples.length / seconds),
    ok_rps: Math.round(ok / seconds),
    latency_ms: { p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), max: lat.length ? Math.round(lat.at(-1)) : null },
    ok_latency_ms: { p50: pct(okLat, 50), p95: pct(okLat, 95), p99: pct(okLat, 99) },
    error_latency_ms: failLat.length ? { p50: pct(failLat, 50), p95: pct(failLat, 95), p99: pct(failLat, 99) } : null,
    by_status: byStatus,
    error_rate: samples.length ? Math.round(((samples.length - ok) / samples.length) * 10000) / 10000 : 0,
  };
}

let identities = 0;
/**
 * Runs autocannon and keeps every response (time, status, latency) for percentiles and recovery. Each
 * connection is its own caller (an apikey header of its own), as many browsers would be: the functions'
 * per-caller rate limit (CRYO_RATE_LIMIT_*) then limits no connection of a scenario, and the scenarios keep
 * measuring the pool and the pooler, the limiter's own cost included.
 */
function load({ url = PING, connections, duration }) {
  return new Promise((resolve, reject) => {
    const samples = [];
    const t0 = performance.now();
    let reqErrors = 0;
    const setupClient = (client) => client.setHeaders({ apikey: `load-${process.pid}-${identities++}` });
    const inst = autocannon({ url, connections, duration, timeout: 15, pipelining: 1, setupClient }, (err, result) => {
      if (err) return reject(err);
      resolve({ samples, result, reqErrors, seconds: (performance.now() - t0) / 1000 });
    });
    inst.on("response", (_client, status, _bytes, ms) => samples.push({ t: performance.now() - t0, status, ms }));
    inst.on("reqError", () => reqErrors++);
  });
}

// /health/metrics needs a service token with metrics:read: one client per run, one token (15 min) per scrape.
let metricsClient;
async function metricsToken() {
  if (!metricsClient) {
    const { run } = await import("../service-client.mjs");
    metricsClient = await run(["create", "--team", "Alpha", "--name", "load-metrics", "--scope", "metrics:read"], c);
  }
  const r = await fetch(`${c.functionsUrl}/service-token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: metricsClient.client_id, client_secret: metricsClient.client_secret }),
  });
  return (await r.json()).access_token;
}

async function scrape() {
  const text = await (await fetch(`${c.functionsUrl}/health/metrics`, { headers: { authorization: `Bearer ${await metricsToken()}` } })).text();
  const m = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const [k, v] = line.split(/ (?=[^ ]+$)/);
    m[k] = Number(v);
  }
  return m;
}

/** Quantile of the acquisition histogram between two scrapes (linear within a bucket), in ms. */
function acquireQuantile(before, after, q) {
  const re = /^cryo_db_acquire_seconds_bucket\{le="([^"]+)"\}$/;
  const buckets = Object.keys(after).filter((k) => re.test(k))
    .map((k) => ({ le: k.match(re)[1] === "+Inf" ? Infinity : Number(k.match(re)[1]), n: after[k] - (before[k] ?? 0) }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.n ?? 0;
  if (!total) return null;
  let prevLe = 0, prevN = 0;
  for (const b of buckets) {
    if (b.n >= q * total) {
      if (b.le === Infinity) return `>${prevLe * 1000}`;
      const frac = b.n === prevN ? 1 : (q * total - prevN) / (b.n - prevN);
      return Math.round((prevLe + frac * (b.le - prevLe)) * 1e6) / 1000;
    }
    prevLe = b.le;
    prevN = b.n;
  }
  return null;
}

function metricsDelta(before, after) {
  const d = (k) => (after[k] ?? 0) - (before[k] ?? 0);
  const sum = d("cryo_db_acquire_seconds_sum"), count = d("cryo_db_acquire_seconds_count");
  // Increases of a counter between the scrapes, by the value of its one label.
  const byLabel = (name, label) => {
    const re = new RegExp(`^${name}\\{${label}="([^"]+)"\\}$`);
    const out = {};
    for (const k of Object.keys(after)) {
      const m = k.match(re);
      if (m && d(k)) out[m[1]] = d(k);
    }
    return out;
  };
  const errors = byLabel("cryo_db_errors_total", "class");
  const transitions = byLabel("cryo_db_breaker_transitions_total", "to");
  return {
    acquisitions: count,
    acquire_ms: {
      mean: count ? Math.round((sum / count) * 1e6) / 1000 : null,
      p50: acquireQuantile(before, after, 0.5),
      p99: acquireQuantile(before, after, 0.99),
    },
    db_errors_by_class: errors,
    retries: d("cryo_db_retries_total"),
    shed: d("cryo_db_shed_total"),
    breaker_transitions: transitions,
  };
}

/** --- Where the CPU goes (Linux /proc; the machine's cores are shared by every piece) --- */

const TICK_MS = 10; // USER_HZ is 100 on Linux
function procTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }; // utime + stime
  } catch {
    return null;
  }
}
/** CPU ms used so far by: Deno (functions server), pgbouncer, Postgres (postmaster and its children), this
 * process (the load generator: autocannon runs in it), pgbench, and the whole machine. */
function cpuSnapshot() {
  const postmaster = readPid(join(c.pgdata, "postmaster.pid"));
  const deno = readPid(c.functionsPid);
  const pooler = readPid(c.pgbouncerPid);
  const out = { deno: 0, pgbouncer: 0, postgres: 0, pgbench: 0 };
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    const t = procTicks(pid);
    if (!t) continue;
    if (pid === deno) out.deno += t.ticks;
    else if (pid === pooler) out.pgbouncer += t.ticks;
    else if (pid === postmaster || t.ppid === postmaster) out.postgres += t.ticks;
  }
  for (const k of Object.keys(out)) out[k] *= TICK_MS;
  const u = process.cpuUsage();
  out.load_generator = (u.user + u.system) / 1000;
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  out.machine_busy = (cpu.reduce((a, b) => a + b, 0) - cpu[3] - (cpu[4] ?? 0)) * TICK_MS;
  out.at = performance.now();
  return out;
}
/** CPU of each piece between two snapshots: ms, share of the machine's cores, and µs per request. */
function cpuDelta(a, b, requests) {
  const wall = b.at - a.at;
  const cores = CORES;
  const out = { wall_ms: Math.round(wall), cores };
  for (const k of ["load_generator", "deno", "pgbouncer", "postgres", "pgbench", "machine_busy"]) {
    const ms = b[k] - a[k];
    if (k === "pgbench" && !ms) continue;
    out[k] = { cpu_ms: Math.round(ms), share_of_machine: Math.round((ms / (wall * cores)) * 100) / 100, ...(requests ? { us_per_request: Math.round((ms * 1000) / requests) } : {}) };
  }
  const known = ["load_generator", "deno", "pgbouncer", "postgres", "pgbench"].reduce((s, k) => s + (out[k]?.cpu_ms ?? 0), 0);
  out.others_on_machine_cpu_ms = Math.round(out.machine_busy.cpu_ms - known);
  return out;
}
const CORES = readFileSync("/proc/cpuinfo", "utf8").match(/^processor/gm)?.length ?? 2;

/** pgbench through the same pgbouncer, as cryo_api; `script` is a custom transaction file. */
function pgbench({ clients, seconds, script }) {
  const file = join(ROOT, ".local", `pgbench-${Math.random().toString(36).slice(2)}.sql`);
  writeFileSync(file, script);
  return new Promise((resolve) => {
    // Through sh, whose `times` reports pgbench's CPU (a child that has exited has no /proc entry left).
    const p = spawn("sh", ["-c", `"$0" "$@"; times`, pgBin("pgbench"), "-n", "-h", "127.0.0.1", "-p", String(c.ports.pooler), "-U", "cryo_api",
      "-c", String(clients), "-j", "2", "-T", String(seconds), "-f", file, "-r", "postgres"],
      { env: { ...process.env, PGPASSWORD: secrets.apiPassword } });
    const cpu0 = cpuSnapshot();
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", () => {
      rmSync(file, { force: true });
      const tps = Number(out.match(/tps = ([\d.]+)/)?.[1] ?? NaN);
      const lat = Number(out.match(/latency average = ([\d.]+) ms/)?.[1] ?? NaN);
      const times = [...out.matchAll(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/g)].at(-1); // children: user, system
      const cpu1 = cpuSnapshot();
      cpu1.pgbench = cpu0.pgbench + (times ? (Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])) * 1000 : 0);
      const transactions = Math.round(tps * seconds);
      resolve({ clients, seconds, tps: Math.round(tps), latency_avg_ms: lat, cpu: cpuDelta(cpu0, cpu1, transactions), raw_tail: out.trim().split("\n").filter((l) => !/^\d+m/.test(l)).slice(-3) });
    });
  });
}

const SELECT1 = "select 1;\n";
// What GET /health/ping sends: one simple-protocol query (pgbench's `\;` joins the lines into one message).
const PING_TX = "set local role anon \\;\nset local request.jwt.claims to $c${\"role\":\"anon\"}$c$ \\;\n" +
  "set local statement_timeout = 3000 \\;\nset local transaction_read_only = on \\;\nselect 1 as ok;\n";
// What /health/ping-pipelined (and the module before the one-round-trip path) runs, one round trip a statement.
const PING_TX_PIPELINED = "begin read only;\nselect set_config('request.jwt.claims', '{\"role\":\"anon\"}', true), " +
  "set_config('role', 'anon', true), set_config('statement_timeout', '3000', true);\nselect 1 as ok;\ncommit;\n";

/** --- Faults --- */

// Asynchronous, so the load generator in this process keeps reading responses while a piece restarts.
const stopPostgres = () => asPostgresAsync(pgCtl.bin, pgCtl.stop(c));
const startPostgres = () => asPostgresAsync(pgCtl.bin, pgCtl.start(c));
const stopPooler = async () => process.kill(readPid(c.pgbouncerPid), "SIGTERM");
const startPooler = () => asPostgresAsync("pgbouncer", ["-d", c.pgbouncerIni]);

/** Time from `since` (ms into the run) to the first 200 after which every response is a 200 for 1 s. */
function recoveryMs(samples, since) {
  const after = samples.filter((s) => s.t >= since).sort((a, b) => a.t - b.t);
  for (let i = 0; i < after.length; i++) {
    if (after[i].status !== 200) continue;
    const window = after.filter((s) => s.t >= after[i].t && s.t <= after[i].t + 1000);
    if (window.every((s) => s.status === 200) && after.at(-1).t > after[i].t + 1000) return Math.round(after[i].t - since);
  }
  return null;
}

async function faultRun({ down, up, name, connections = 16, seconds = 20, downAt = 5000, upAt = 8000 }) {
  const ev = {};
  const t0 = performance.now();
  const at = () => performance.now() - t0;
  const faults = (async () => {
    await sleep(downAt);
    ev.down = at();
    await down();
    ev.down_done = at();
    await sleep(Math.max(0, upAt - at()));
    ev.up = at();
    await up();
    ev.up_done = at(); // the piece accepts connections again: recovery is measured from here
  })();
  const r = await load({ connections, duration: seconds });
  await faults;
  // load() measures from its own start, a few ms after t0: close enough at this scale.
  const s = r.samples;
  // Responses that began after the fault took effect and ended before the restart began: the outage.
  const outage = s.filter((x) => x.t - x.ms >= ev.down_done + 200 && x.t <= ev.up);
  const failFast = outage.filter((x) => x.status === 503).map((x) => x.ms).sort((a, b) => a - b);
  return {
    name,
    events_ms: Object.fromEntries(Object.entries(ev).map(([k, v]) => [k, Math.round(v)])),
    overall: summarize(s, r.seconds),
    before_fault: summarize(s.filter((x) => x.t < ev.down), ev.down / 1000),
    during_outage: summarize(outage, Math.max(0.001, (ev.up - ev.down_done - 200) / 1000)),
    fail_fast_ms: { p50: pct(failFast, 50), p95: pct(failFast, 95), p99: pct(failFast, 99), n: failFast.length },
    recovery_ms_after_restart: recoveryMs(s, ev.up_done),
    request_errors: r.reqErrors,
  };
}

/** --- Scenarios --- */

const scenarios = {
  async steady() {
    const out = { phases: [] };
    // At most as many clients as pool slots: acquisition without queueing ("warm").
    await load({ connections: 4, duration: 3 });
    const b4 = await scrape();
    const r4 = await load({ connections: 4, duration: Math.min(DURATION, 10) });
    const a4 = await scrape();
    const warm = { name: "http c=4 (= pool slots)", connections: 4, ...summarize(r4.samples, r4.seconds), request_errors: r4.reqErrors, server: metricsDelta(b4, a4) };
    const http = async (name, url, connections) => {
      await load({ url, connections, duration: 3 }); // warm-up: connections open, JIT done
      const before = await scrape();
      const cpu0 = cpuSnapshot();
      const r = await load({ url, connections, duration: DURATION });
      const cpu = cpuDelta(cpu0, cpuSnapshot(), r.samples.length);
      const after = await scrape();
      return { name: `${name}, c=${connections}`, connections, ...summarize(r.samples, r.seconds), request_errors: r.reqErrors, server: metricsDelta(before, after), cpu };
    };
    const by = {};
    for (const connections of [16, 64]) {
      // Side by side in one run: the one-round-trip path, the pipelined path, HTTP without the database
      // (a 404 from the same function: routing and JSON only), and pgbench through the same pgbouncer.
      const phases = [
        await http("http /health/ping (one round trip)", PING, connections),
        await http("http /health/ping-pipelined (extended protocol)", `${c.functionsUrl}/health/ping-pipelined`, connections),
        await http("http without database (404 of the same function)", `${c.functionsUrl}/health/nope`, connections),
        { name: `pgbench select 1, c=${connections}`, ...(await pgbench({ clients: connections, seconds: DURATION, script: SELECT1 })) },
        { name: `pgbench ping transaction as one simple query, c=${connections}`, ...(await pgbench({ clients: connections, seconds: DURATION, script: PING_TX })) },
        { name: `pgbench ping transaction, statement by statement, c=${connections}`, ...(await pgbench({ clients: connections, seconds: DURATION, script: PING_TX_PIPELINED })) },
      ];
      out.phases.push(...phases);
      by[connections] = phases;
    }
    out.phases.unshift(warm);
    const ratio = (a, b) => Math.round((a / b) * 1000) / 1000;
    out.headline = {
      acquire_ms_p50_warm_c4: warm.server.acquire_ms.p50,
      acquire_ms_p99_warm_c4: warm.server.acquire_ms.p99,
    };
    for (const n of [16, 64]) {
      const [h, hp, h0, pb, pt] = by[n];
      Object.assign(out.headline, {
        [`http_rps_c${n}`]: h.ok_rps,
        [`http_pipelined_rps_c${n}`]: hp.ok_rps,
        [`http_without_db_rps_c${n}`]: h0.throughput_rps,
        [`pgbench_select1_tps_c${n}`]: pb.tps,
        [`ratio_http_vs_pgbench_select1_c${n}`]: ratio(h.ok_rps, pb.tps),
        [`ratio_http_pipelined_vs_pgbench_select1_c${n}`]: ratio(hp.ok_rps, pb.tps),
        [`ratio_http_vs_pgbench_same_transaction_c${n}`]: ratio(h.ok_rps, pt.tps),
        [`ratio_http_without_db_vs_pgbench_select1_c${n}`]: ratio(h0.throughput_rps, pb.tps),
        [`deno_cpu_us_per_request_c${n}`]: h.cpu.deno.us_per_request,
        [`deno_cpu_us_per_request_pipelined_c${n}`]: hp.cpu.deno.us_per_request,
        [`deno_cpu_us_per_request_without_db_c${n}`]: h0.cpu.deno.us_per_request,
        [`p99_ms_c${n}`]: h.latency_ms.p99,
      });
    }
    delete out.headline.p99_ms_c16;
    return out;
  },
  /** The database module in-process (no HTTP), both paths and bare postgres.js: scripts/load/module-bench.ts. */
  async module() {
    const p = spawn(join(ROOT, "node_modules/.bin/deno"), ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-sys",
      "--config", join(ROOT, "deno.json"), join(ROOT, "scripts/load/module-bench.ts")], {
      env: { ...process.env, CRYO_DB_URL: `postgresql://cryo_api:${secrets.apiPassword}@127.0.0.1:${c.ports.pooler}/postgres`,
        BENCH_SECONDS: String(Math.min(DURATION, 10)), BENCH_CONCURRENCY: "4,16" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let text = "";
    p.stdout.on("data", (d) => (text += d));
    await new Promise((r) => p.on("close", r));
    const res = JSON.parse(text.trim().split("\n").at(-1));
    return {
      note: "in one Deno process, no HTTP: the module's ping transaction at c concurrent callers (the module runs at most CRYO_DB_POOL_MAX = 4 at once) vs bare postgres.js select 1 on the same 4 connections",
      ...res,
    };
  },
  async burst() {
    const connections = 10 * POOLER_POOL_SIZE;
    await load({ connections: 16, duration: 2 });
    const before = await scrape();
    const r = await load({ connections, duration: DURATION });
    const after = await scrape();
    return { connections, note: `10 x pgbouncer default_pool_size (${POOLER_POOL_SIZE})`, ...summarize(r.samples, r.seconds), request_errors: r.reqErrors, server: metricsDelta(before, after) };
  },
  async "slow-queries"() {
    const before = await scrape();
    const [slow, fast] = await Promise.all([
      load({ url: `${c.functionsUrl}/health/slow?ms=500`, connections: 3, duration: DURATION }),
      load({ connections: 16, duration: DURATION }),
    ]);
    const after = await scrape();
    return {
      note: "3 clients holding a connection 500 ms per request (of CRYO_DB_POOL_MAX slots) while 16 clients ping",
      slow: summarize(slow.samples, slow.seconds),
      ping: summarize(fast.samples, fast.seconds),
      server: metricsDelta(before, after),
    };
  },
  async "pg-restart"() {
    const before = await scrape();
    const r = await faultRun({ name: "Postgres stopped (fast) at 5 s, started at 8 s", down: stopPostgres, up: startPostgres });
    return { ...r, server: metricsDelta(before, await scrape()) };
  },
  async "pooler-restart"() {
    const before = await scrape();
    const r = await faultRun({ name: "pgbouncer stopped (SIGTERM) at 5 s, started at 7 s", down: stopPooler, up: startPooler, upAt: 7000 });
    return { ...r, server: metricsDelta(before, await scrape()) };
  },
  async "pool-exhausted"() {
    const before = await scrape();
    const [slow, ping] = await Promise.all([
      load({ url: `${c.functionsUrl}/health/slow?ms=2000`, connections: 100, duration: DURATION }),
      load({ connections: 8, duration: DURATION }),
    ]);
    const after = await scrape();
    return {
      note: "100 clients each holding a connection 2 s (pool of CRYO_DB_POOL_MAX slots, bounded queue) + 8 clients pinging",
      slow: summarize(slow.samples, slow.seconds),
      ping: summarize(ping.samples, ping.seconds),
      server: metricsDelta(before, after),
    };
  },
};

/** --- Reports --- */

function md(name, rep) {
  const lines = [`# Load scenario: ${name}`, "", `Run ${rep.at} on ${rep.machine}; stack \`${c.name}\`, functions ${c.functionsUrl}.`, ""];
  lines.push(`Command: \`${rep.command}\``, "", `Pool settings: ${JSON.stringify(rep.pool)}`, "");
  const row = (label, s) =>
    `| ${label} | ${s.requests ?? ""} | ${s.throughput_rps ?? s.tps ?? ""} | ${s.ok_rps ?? ""} | ${s.latency_ms?.p50 ?? s.latency_avg_ms ?? ""} | ${s.latency_ms?.p95 ?? ""} | ${s.latency_ms?.p99 ?? ""} | ${s.by_status ? JSON.stringify(s.by_status) : ""} |`;
  lines.push("| phase | requests | req/s (or TPS) | 200/s | p50 ms (pgbench: avg) | p95 ms | p99 ms | by status |", "|---|---|---|---|---|---|---|---|");
  const add = (label, s) => s && lines.push(row(label, s));
  const r = rep.result;
  if (r.phases) for (const p of r.phases) add(p.name, p);
  for (const k of ["overall", "before_fault", "during_outage", "slow", "ping"]) add(k, r[k]);
  if (r.requests) add(name, r);
  lines.push("");
  if (r.phases) {
    for (const p of r.phases) if (p.server) lines.push(`Server side (${p.name}): ${JSON.stringify(p.server)}`, "");
    const cpuPhases = r.phases.filter((p) => p.cpu);
    if (cpuPhases.length) {
      const keys = ["load_generator", "deno", "pgbouncer", "postgres", "pgbench"];
      lines.push("### Where the CPU went (µs of CPU per request or transaction; share of all cores)", "",
        `| phase | ${keys.join(" | ")} | others on the machine (ms) |`, `|---|${keys.map(() => "---|").join("")}---|`);
      for (const p of cpuPhases) {
        lines.push(`| ${p.name} | ${keys.map((k) => p.cpu[k] ? `${p.cpu[k].us_per_request} (${p.cpu[k].share_of_machine})` : "").join(" | ")} | ${p.cpu.others_on_machine_cpu_ms} |`);
      }
      lines.push("");
    }
  } else if (r.server) lines.push(`Server side: ${JSON.stringify(r.server)}`, "");
  if (r.headline) lines.push("## Headline", "", ...Object.entries(r.headline).map(([k, v]) => `- ${k}: **${v}**`), "");
  if (r.fail_fast_ms) lines.push(`Fault: ${r.name}; events ${JSON.stringify(r.events_ms)}.`, "",
    `- fail-fast latency of 503s during the outage (ms): ${JSON.stringify(r.fail_fast_ms)}`,
    `- recovery after the restart completed: **${r.recovery_ms_after_restart ?? "not within the run"} ms** (first 200 followed by 1 s of only 200s)`, "");
  const inProcess = Object.keys(r).filter((k) => k.startsWith("c="));
  if (inProcess.length) {
    lines.push("| callers | path | transactions/s | Deno CPU µs per transaction |", "|---|---|---|---|");
    for (const k of inProcess) for (const [path, v] of Object.entries(r[k])) lines.push(`| ${k} | ${path} | ${v.ops_per_s} | ${v.deno_cpu_us_per_op} |`);
    lines.push("");
  }
  if (r.note) lines.push(`Note: ${r.note}`, "");
  return lines.join("\n");
}

const names = scenario === "all" ? Object.keys(scenarios) : [scenario];
for (const n of names) if (!scenarios[n]) {
  console.error(`unknown scenario ${n}; one of: ${Object.keys(scenarios).join(" ")} all`);
  process.exit(2);
}
mkdirSync(join(ROOT, "reports"), { recursive: true });
const pool = await (await fetch(`${c.functionsUrl}/health`)).json().then((h) => h.pool).catch(() => null);
for (const n of names) {
  console.log(`== ${n}`);
  const t = Date.now();
  const result = await scenarios[n]();
  const rep = {
    scenario: n,
    at: new Date().toISOString(),
    machine: `${(await import("node:os")).cpus().length} cores, load avg ${(await import("node:os")).loadavg().map((x) => x.toFixed(2)).join(" ")}`,
    command: `CRYO_PORT_OFFSET=${process.env.CRYO_PORT_OFFSET || 0} npm run load -- ${n}${durIdx >= 0 ? ` --duration ${DURATION}` : ""}`,
    pool,
    seconds: Math.round((Date.now() - t) / 1000),
    result,
  };
  writeFileSync(join(ROOT, "reports", `load-${n}.json`), JSON.stringify(rep, null, 2) + "\n");
  writeFileSync(join(ROOT, "reports", `load-${n}.md`), md(n, rep) + "\n");
  console.log(md(n, rep));
  await sleep(1000);
}
