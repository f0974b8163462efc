#!/usr/bin/env node
// `npm test`: every suite against an isolated test stack (own data directory and ports), ending with one
// line `N passed, N failed` that totals all of them.
//   CRYO_TEST_REUSE=1  reuse a healthy running test stack instead of rebuilding it (faster local loops)
//   CRYO_TEST_KEEP=1   leave the test stack running afterwards
//   npm test -- <suite>...   run only some suites: advisors lint pgtap deno unit stack
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, stackConfig } from "./lib/config.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");
const stack = await import("./stack.mjs");
const SUPABASE = join(ROOT, "node_modules/.bin/supabase");
const DENO = join(ROOT, "node_modules/.bin/deno");
const cliDbUrl = `${c.dbUrl}?sslmode=disable`;

/** Runs a command, streaming its output, and returns { code, out }. */
function exec(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const tee = (stream, sink) => stream.on("data", (d) => { out += d; sink.write(d); });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

async function nodeTests(rel) {
  const dir = join(ROOT, rel);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".test.mjs")).map((f) => join(rel, f)) : [];
  if (!files.length) return { passed: 0, failed: 0 };
  const r = await exec(process.execPath, ["--test", "--test-reporter=tap", "--test-concurrency=1", ...files], { CRYO_STACK: "test" });
  const passed = Number(r.out.match(/^# pass (\d+)/m)?.[1] ?? 0);
  let failed = Number(r.out.match(/^# fail (\d+)/m)?.[1] ?? 0);
  if (r.code !== 0 && failed === 0) failed = 1;
  return { passed, failed };
}

const suites = {
  // Splinter lints through the real CLI: any WARN or ERROR finding fails.
  async advisors() {
    const r = await exec(SUPABASE, ["db", "advisors", "--db-url", cliDbUrl, "--type", "all", "--level", "warn", "--fail-on", "warn"]);
    return { passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1 };
  },
  // plpgsql_check over every schema of ours (`db lint` creates plpgsql_check itself, in a rolled-back transaction).
  async lint() {
    const schemas = ["public", "private", "audit", "api"].filter((s) =>
      stack.psql(c, `select 1 from pg_namespace where nspname = '${s}'`, { extra: ["-At"] }).stdout.trim() === "1");
    const r = await exec(SUPABASE, ["db", "lint", "--db-url", cliDbUrl, "--schema", schemas.join(","), "--level", "warning", "--fail-on", "error"]);
    return { passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1 };
  },
  // pgTAP, counted per assertion; a file that dies without a plan counts as one failure.
  async pgtap() {
    // Like `supabase test db`: a new project has no pgTAP; the runner creates it, as postgres, in `extensions`.
    const ext = stack.psql(c, "create extension if not exists pgtap with schema extensions", { user: "postgres" });
    if (ext.status !== 0) {
      console.error(`creating pgtap failed:\n${ext.stderr}`);
      return { passed: 0, failed: 1 };
    }
    const env = { PGPASSWORD: "postgres" };
    const r = await exec("pg_prove", ["-v", "--ext", ".sql", "-r", "-h", "127.0.0.1", "-p", String(c.ports.db),
      "-U", "postgres", "-d", "postgres", "supabase/tests"], env);
    // Planned minus passed: counts `not ok` lines and assertions a dying file never reached.
    const passed = (r.out.match(/^ok \d+/gm) || []).length;
    const planned = [...r.out.matchAll(/^1\.\.(\d+)/gm)].reduce((a, m) => a + Number(m[1]), 0);
    let failed = Math.max(planned - passed, (r.out.match(/^not ok \d+/gm) || []).length);
    if (r.code !== 0 && failed === 0) failed = 1;
    return { passed, failed };
  },
  // Deno integration tests against the running functions, pooler and database.
  async deno() {
    // Integration tests in tests/, and the unit tests that sit beside the functions' modules (*.test.ts).
    const files = [
      ...(existsSync(join(ROOT, "tests")) ? readdirSync(join(ROOT, "tests")).filter((f) => /_test\.ts$/.test(f)).map((f) => `tests/${f}`) : []),
      ...readdirSync(join(ROOT, "supabase/functions"), { recursive: true }).filter((f) => /\.test\.ts$/.test(f)).map((f) => `supabase/functions/${f}`),
    ];
    if (!files.length) return { passed: 0, failed: 0 };
    const s = await stack.status(c);
    const r = await exec(DENO, ["test", "-A", "--config", "deno.json", ...files], {
      CRYO_STACK: "test", FUNCTIONS_URL: s.FUNCTIONS_URL, DB_URL: s.DB_URL, POOLER_URL: s.POOLER_URL,
      ANON_KEY: s.ANON_KEY, NO_COLOR: "1",
    });
    const m = r.out.match(/^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/m);
    if (!m) return { passed: 0, failed: 1 };
    const failed = Number(m[2]) || (r.code !== 0 ? 1 : 0);
    return { passed: Number(m[1]), failed };
  },
  // Node-side code (import tools, chemistry checks): node:test over tests/unit/.
  unit: () => nodeTests("tests/unit"),
  // The stack's own behaviour in bad states (node:test), run last: it stops and restarts pieces.
  stack: () => nodeTests("tests/stack"),
};

const only = process.argv.slice(2);
const order = (only.length ? only : Object.keys(suites));
for (const n of order) if (!suites[n]) { console.error(`unknown suite ${n}; suites: ${Object.keys(suites).join(" ")}`); process.exit(2); }

const totals = { passed: 0, failed: 0 };
const rows = [];
const t0 = Date.now();
let code = 0;
try {
  const reuse = process.env.CRYO_TEST_REUSE === "1" && (await stack.status(c)).RUNNING.functions;
  if (reuse) console.log("== reusing the running test stack");
  else {
    console.log(`== building the test stack (${c.root})`);
    await stack.reset(c);
  }
  for (const n of order) {
    console.log(`\n== ${n}`);
    const t = Date.now();
    const r = await suites[n]();
    rows.push(`${n.padEnd(9)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed  ${((Date.now() - t) / 1000).toFixed(1)}s`);
    totals.passed += r.passed;
    totals.failed += r.failed;
  }
} catch (e) {
  console.error(`\nerror: ${e.message}`);
  totals.failed += 1;
  code = 1;
} finally {
  if (process.env.CRYO_TEST_KEEP !== "1") await stack.stop(c).catch(() => {});
}
console.log(`\n${rows.join("\n")}\ntotal ${((Date.now() - t0) / 1000).toFixed(1)}s`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed > 0 || code ? 1 : 0);
