#!/usr/bin/env node
// Load and fault scenarios against the running local stack (CRYO_STACK, default dev; CRYO_PORT_OFFSET).
//   npm run load -- <scenario>|all [--duration <s>] [--out-dir <dir>]
// One module per scenario in scripts/load/scenarios/ (its file name is its name): it exports `description`
// and a default async function taking the run's context and returning the result written to
// <dir>/load-<scenario>.json and .md (default reports/load-runs/; `npm run bench` passes reports/<date>/).
// HTTP load is autocannon (its own percentiles); the raw baseline is pgbench through the same pgbouncer; the server's view comes from its Prometheus metrics. See docs/operations.md.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readSecrets, ROOT, stackConfig } from "../lib/config.mjs";
import { sleep } from "../lib/proc.mjs";
import { markdown } from "./report.mjs";

const SCENARIOS = join(ROOT, "scripts/load/scenarios");
const names = readdirSync(SCENARIOS).filter((f) => f.endsWith(".mjs")).map((f) => f.slice(0, -4)).sort();
const USAGE = `usage: npm run load -- <scenario>|all [--duration <s>] [--out-dir <dir>]\nscenarios: ${names.join(" ")}`;

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { duration: { type: "string" }, "out-dir": { type: "string" } } });
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
const { positionals: [scenario = "steady", ...extra], values } = parsed;
const duration = Number(values.duration ?? 15);
if (extra.length || !Number.isInteger(duration) || duration < 1) {
  console.error(USAGE);
  process.exit(2);
}
const selected = scenario === "all" ? names : [scenario];
for (const n of selected) {
  if (!names.includes(n)) {
    console.error(`unknown scenario ${n}\n${USAGE}`);
    process.exit(2);
  }
}

const c = stackConfig();
const secrets = readSecrets(c);
if (!secrets) {
  console.error(
    `no ${c.name} stack here: start it first (CRYO_PORT_OFFSET=${process.env.CRYO_PORT_OFFSET || 0} npm start)`,
  );
  process.exit(1);
}
/** What every scenario gets: the stack, its secrets, the phase length and the URLs it loads. */
const ctx = {
  c,
  secrets,
  duration,
  poolerPoolSize: Number(process.env.CRYO_POOLER_POOL_SIZE || 20),
  urls: {
    ping: `${c.functionsUrl}/health/ping`,
    withoutDatabase: `${c.functionsUrl}/health/nope`,
    // The benchmark harness's routes (scripts/load/bench-routes.ts), served by the local gateway only.
    pingPipelined: `${c.functionsUrl}/bench/ping-pipelined`,
    slow: (ms) => `${c.functionsUrl}/bench/slow?ms=${ms}`,
  },
};

const OUT = resolve(ROOT, values["out-dir"] ?? "reports/load-runs");
mkdirSync(OUT, { recursive: true });
const pool = await fetch(`${c.functionsUrl}/health`).then((r) => r.json()).then((h) => h.pool).catch(() => null);
for (const n of selected) {
  console.log(`== ${n}`);
  const t = Date.now();
  const { default: run } = await import(join(SCENARIOS, `${n}.mjs`));
  const result = await run(ctx);
  const rep = {
    scenario: n,
    at: new Date().toISOString(),
    machine: `${cpus().length} cores, load avg ${loadavg().map((x) => x.toFixed(2)).join(" ")}`,
    command: `CRYO_PORT_OFFSET=${process.env.CRYO_PORT_OFFSET || 0} npm run load -- ${n}${
      values.duration ? ` --duration ${duration}` : ""
    }`,
    pool,
    seconds: Math.round((Date.now() - t) / 1000),
    result,
  };
  writeFileSync(join(OUT, `load-${n}.json`), JSON.stringify(rep, null, 2) + "\n");
  writeFileSync(join(OUT, `load-${n}.md`), markdown(n, rep, c) + "\n");
  console.log(markdown(n, rep, c));
  await sleep(1000);
}
