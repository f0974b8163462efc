#!/usr/bin/env node
// `npm run bench`: the KPI report (issue 13 item 4). Runs every part against the running stack (CRYO_STACK,
// default dev; CRYO_PORT_OFFSET) and writes reports/<YYYY-MM-DD>/: each part's JSON, kpi.json, README.md
// (the KPI table: the plan's target, ours, the measured value, pass/miss and why) and two SVG charts.
//   npm run bench                      every part, then the report
//   npm run bench -- <part>...         only those parts (then the report from whatever the folder holds)
//   parts: rls (the RLS suite and its growth series) normal (database CPU at the defined normal load)
//          load (the pooling scenarios: steady and module) tokens (the auth scenario) toxicity (the toxicity
//          API's scenario, scripts/bench/toxicity-api.mjs, when it exists) report (only rebuild the report)
// Options:
//   --molecules 10000,100000,1000000  the growth series (each size: npm run db:scale, then the toxicity step)
//   --no-scale                        measure the data set as it is (one point; no db:scale)
//   --iterations N                    RLS suite: timed runs per query and actor (default 300)
//   --toxicity-per-molecule N         records per scale molecule made by the toxicity step (default 5)
//   --duration S                      seconds per load phase (default 10)
//   --out-dir DIR                     default reports/<today, UTC>
//   BENCH_MACHINE_NOTE=...            a sentence about the machine for the report (e.g. who else shared it)
//   --quick                           bounded smoke run (sizes 1000,2000; 20 iterations; 1 s phases; tokens
//                                     1 s × 1 round): tests the code path, not the numbers
// Exit codes: 2 bad arguments; 1 a part failed (the report is still written from what was measured).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, stackConfig } from "../lib/config.mjs";
import { runRls } from "./rls.mjs";
import { machineDescription, writeReport } from "./report.mjs";

const PARTS = ["rls", "normal", "load", "tokens", "toxicity", "report"];
const USAGE = `usage: npm run bench [-- <part>...] [--molecules N,N,...] [--no-scale] [--iterations N]
  [--toxicity-per-molecule N] [--duration S] [--out-dir DIR] [--quick]
parts: ${PARTS.join(" ")} (default: all)`;

function parse(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      molecules: { type: "string" },
      "no-scale": { type: "boolean", default: false },
      iterations: { type: "string" },
      "toxicity-per-molecule": { type: "string", default: "5" },
      duration: { type: "string" },
      "out-dir": { type: "string" },
      quick: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const quick = values.quick;
  const int = (name, v, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return n;
  };
  const sizes = (values.molecules ?? (quick ? "1000,2000" : "10000,100000,1000000")).split(",")
    .map((s) => int("molecules", s.trim(), 1000)).sort((a, b) => a - b);
  const parts = positionals.length ? positionals : PARTS.filter((p) => p !== "report");
  for (const p of parts) if (!PARTS.includes(p)) throw new Error(`unknown part ${p}`);
  return {
    help: values.help,
    parts,
    quick,
    sizes,
    scale: !values["no-scale"],
    iterations: int("iterations", values.iterations ?? (quick ? 20 : 300), 10),
    toxicityPerMolecule: int("toxicity-per-molecule", values["toxicity-per-molecule"], 1),
    duration: int("duration", values.duration ?? (quick ? 1 : 10), 1),
    outDir: resolve(ROOT, values["out-dir"] ?? join("reports", new Date().toISOString().slice(0, 10))),
  };
}

/** Runs a command from the checkout, output streamed; resolves its exit code. */
function exec(cmd, args) {
  return new Promise((res) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: process.env, stdio: ["ignore", "inherit", "inherit"] });
    p.on("error", (e) => (console.error(`${cmd}: ${e.message}`), res(1)));
    p.on("close", (code) => res(code ?? 1));
  });
}

let opts;
try {
  opts = parse(process.argv.slice(2));
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

const c = stackConfig();
mkdirSync(opts.outDir, { recursive: true });
const dir = relative(ROOT, opts.outDir) || ".";
const failures = [];
const started = new Date().toISOString();
const t0 = performance.now();
const DENO = join(ROOT, "node_modules/.bin/deno");

const steps = {
  async rls() {
    const report = await runRls({
      sizes: opts.sizes,
      iterations: opts.iterations,
      toxicityPerMolecule: opts.toxicityPerMolecule,
      scale: opts.scale,
    });
    report.command = `npm run bench -- rls ${
      opts.scale ? `--molecules ${opts.sizes.join(",")}` : "--no-scale"
    } --iterations ${opts.iterations} --toxicity-per-molecule ${opts.toxicityPerMolecule}`;
    report.generated_at = new Date().toISOString();
    writeFileSync(join(opts.outDir, "rls.json"), `${JSON.stringify(report, null, 2)}\n`);
  },
  // The normal load runs on the data set the RLS suite left (its largest size).
  normal: () => load("normal"),
  async load() {
    await load("steady");
    await load("module");
  },
  async tokens() {
    const code = await exec(DENO, [
      "run",
      "-A",
      "--config",
      "deno.json",
      "scripts/bench/tokens.ts",
      "--seconds",
      String(opts.quick ? 1 : 3),
      "--rounds",
      String(opts.quick ? 1 : 3),
      "--issuance",
      String(opts.quick ? 20 : 200),
      "--out-dir",
      dir,
    ]);
    if (code) throw new Error(`tokens.ts exited with ${code}`);
  },
  async toxicity() {
    const script = join(ROOT, "scripts/bench/toxicity-api.mjs");
    if (!existsSync(script)) {
      console.log("== toxicity: skipped (scripts/bench/toxicity-api.mjs is not in this checkout)");
      writeFileSync(
        join(opts.outDir, "toxicity-api.json"),
        `${JSON.stringify({ skipped: "scripts/bench/toxicity-api.mjs is not in this checkout" }, null, 2)}\n`,
      );
      return;
    }
    const code = await exec(process.execPath, [
      script,
      "--out",
      join(dir, "toxicity-api.json"),
      // its own sizes (the toxicity API work's script): small ones for a quick run
      ...(opts.quick ? ["--profiles", "10", "--lookups", "1", "--mix", "20"] : []),
    ]);
    if (code) throw new Error(`toxicity-api.mjs exited with ${code}`);
  },
  report() {},
};

async function load(scenario) {
  const code = await exec(process.execPath, [
    "scripts/load/run.mjs",
    scenario,
    "--duration",
    String(opts.duration),
    "--out-dir",
    dir,
  ]);
  if (code) throw new Error(`npm run load -- ${scenario} exited with ${code}`);
}

for (const part of opts.parts) {
  console.log(`== bench: ${part}`);
  const t = performance.now();
  try {
    await steps[part]();
    console.log(`== bench: ${part} done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  } catch (e) {
    failures.push({ part, error: e.message });
    console.error(`== bench: ${part} failed: ${e.message}`);
  }
}
// `report` alone rebuilds README.md from the folder as the measuring run left it (its command, machine).
const reportOnly = opts.parts.every((p) => p === "report");
const saved = (name) => existsSync(join(opts.outDir, name)) ? JSON.parse(readFileSync(join(opts.outDir, name), "utf8")) : null;
const machine = (reportOnly && saved("machine.json")) || await machineDescription(c);
if (process.env.BENCH_MACHINE_NOTE) machine.note = process.env.BENCH_MACHINE_NOTE;
const run = (reportOnly && saved("run.json")) || {
  command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
  started_at: started,
  seconds: Math.round((performance.now() - t0) / 1000),
  parts: opts.parts,
  quick: opts.quick,
  failures,
};
writeFileSync(join(opts.outDir, "machine.json"), `${JSON.stringify(machine, null, 2)}\n`);
writeFileSync(join(opts.outDir, "run.json"), `${JSON.stringify(run, null, 2)}\n`);
const { kpis } = await writeReport(opts.outDir, { run, machine });
console.log(`\nwrote ${dir}/README.md, kpi.json and the charts:`);
for (const k of kpis) console.log(`  ${k.status.padEnd(12)} ${k.kpi}: ${k.measured}`);
if (failures.length) process.exitCode = 1;
