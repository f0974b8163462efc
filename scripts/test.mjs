#!/usr/bin/env node
// `npm test`: every suite against an isolated test stack (own data directory and ports), ending with one
// line `N passed, N failed` that totals all of them. Results are read from TAP (scripts/lib/tap.mjs).
//   CRYO_TEST_REUSE=1  reuse a healthy running test stack instead of rebuilding it (faster local loops)
//   CRYO_TEST_KEEP=1   leave the test stack running afterwards
//   npm test -- <suite>...   run only some suites: format advisors lint pgtap deno unit browser stack
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, stackConfig } from "./lib/config.mjs";
import { BROWSER_APT_PACKAGES, ensureAptPackages } from "./lib/install.mjs";
import { psql } from "./lib/postgres.mjs";
import { pgProveFiles, tapCounts } from "./lib/tap.mjs";
import { sqlfluffArgs, sqlLintFiles } from "./sql-lint.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");
const stack = await import("./stack.mjs");
const SUPABASE = join(ROOT, "node_modules/.bin/supabase");
const DENO = join(ROOT, "node_modules/.bin/deno");
const cliDbUrl = `${c.dbUrl}?sslmode=disable`;

/** Runs a command, streaming its output; resolves { code, stdout, out } (out: stdout and stderr as they came). */
function exec(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d, out += d, process.stdout.write(d)));
    child.stderr.on("data", (d) => (out += d, process.stderr.write(d)));
    child.on("error", (e) => (out += `${cmd}: ${e.message}\n`, process.stderr.write(`${cmd}: ${e.message}\n`)));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, out }));
  });
}

/** A TAP run's counts; a non-zero exit with nothing failed in the TAP still counts one failure. */
async function fromTap(tap, code) {
  const r = await tapCounts(tap);
  if (code !== 0 && r.failed === 0) r.failed = 1, r.failures.push(`exited with code ${code}`);
  return r;
}

/** One check a tool makes (a formatter, a linter): passed or failed as a whole. */
const oneCheck = (r) => ({ passed: r.code === 0 ? 1 : 0, failed: r.code === 0 ? 0 : 1 });

async function nodeTests(rel, env = {}) {
  const dir = join(ROOT, rel);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".test.mjs")).map((f) => join(rel, f)) : [];
  if (!files.length) return { passed: 0, failed: 0 };
  const r = await exec(process.execPath, ["--test", "--test-reporter=tap", "--test-concurrency=1", ...files], {
    CRYO_STACK: "test",
    ...env,
  });
  return fromTap(r.stdout, r.code);
}

/** Suites that need no database: `npm test -- format` alone builds no stack. */
const WITHOUT_STACK = new Set(["format"]);

const suites = {
  // Formatters and linters: deno fmt --check and deno lint (deno.json sets their scope), and the SQL lint
  // (scripts/sql-lint.mjs). One failure per tool that fails, its output above.
  async format() {
    const fmt = await exec(DENO, ["fmt", "--check", "--config", "deno.json"], { NO_COLOR: "1" });
    const lint = await exec(DENO, ["lint", "--config", "deno.json"], { NO_COLOR: "1" });
    const sql = await exec("sqlfluff", sqlfluffArgs(sqlLintFiles()));
    // The web app (web/) is formatted and linted with the rest, but type-checked by its own tsconfig (DOM types).
    const web = await exec(join(ROOT, "node_modules/.bin/tsc"), ["-p", "web/tsconfig.json"]);
    const checks = { "deno fmt --check": fmt, "deno lint": lint, "sqlfluff lint": sql, "tsc -p web": web };
    const failed = Object.entries(checks).filter(([, r]) => r.code !== 0).map(([name]) => name);
    if (failed.length) console.log(`format: failed: ${failed.join(", ")}`);
    return { passed: Object.keys(checks).length - failed.length, failed: failed.length };
  },
  // Splinter lints through the real CLI: any WARN or ERROR finding fails.
  async advisors() {
    return oneCheck(
      await exec(SUPABASE, [
        "db",
        "advisors",
        "--db-url",
        cliDbUrl,
        "--type",
        "all",
        "--level",
        "warn",
        "--fail-on",
        "warn",
      ]),
    );
  },
  // plpgsql_check over every schema of ours (`db lint` creates plpgsql_check itself, in a rolled-back transaction).
  async lint() {
    const schemas = ["public", "private", "audit", "api", "monitoring"].filter((s) =>
      psql(c, `select 1 from pg_namespace where nspname = '${s}'`, { extra: ["-At"] }).stdout.trim() === "1"
    );
    return oneCheck(
      await exec(SUPABASE, [
        "db",
        "lint",
        "--db-url",
        cliDbUrl,
        "--schema",
        schemas.join(","),
        "--level",
        "warning",
        "--fail-on",
        "error",
      ]),
    );
  },
  // pgTAP, counted per assertion from each file's TAP; a file that dies counts every assertion it never reached.
  async pgtap() {
    // Like `supabase test db`: a new project has no pgTAP; the runner creates it, as postgres, in `extensions`.
    const ext = psql(c, "create extension if not exists pgtap with schema extensions", { user: "postgres" });
    if (ext.status !== 0) {
      console.error(`creating pgtap failed:\n${ext.stderr}`);
      return { passed: 0, failed: 1 };
    }
    const r = await exec("pg_prove", [
      "-v",
      "--ext",
      ".sql",
      "-r",
      "-h",
      "127.0.0.1",
      "-p",
      String(c.ports.db),
      "-U",
      "postgres",
      "-d",
      "postgres",
      "supabase/tests",
    ], { PGPASSWORD: "postgres" });
    const totals = { passed: 0, failed: 0, skipped: 0 };
    for (const { file, tap } of pgProveFiles(r.stdout)) {
      const f = await tapCounts(tap);
      totals.passed += f.passed;
      totals.failed += f.failed;
      totals.skipped += f.skipped;
      if (f.failed) console.log(`${file}: ${f.failed} failed: ${f.failures.join("; ")}`);
    }
    if (r.code !== 0 && totals.failed === 0) totals.failed = 1;
    return totals;
  },
  // Deno integration tests against the running functions, pooler and database.
  async deno() {
    // Integration tests in tests/, and the unit tests that sit beside the functions' modules (*.test.ts).
    const files = [
      ...(existsSync(join(ROOT, "tests"))
        ? readdirSync(join(ROOT, "tests")).filter((f) => /_test\.ts$/.test(f)).map((f) => `tests/${f}`)
        : []),
      ...readdirSync(join(ROOT, "supabase/functions"), { recursive: true }).filter((f) => /\.test\.ts$/.test(f)).map((
        f,
      ) => `supabase/functions/${f}`),
    ];
    if (!files.length) return { passed: 0, failed: 0 };
    const s = await stack.status(c);
    const r = await exec(DENO, ["test", "-A", "--config", "deno.json", "--reporter=tap", ...files], {
      CRYO_STACK: "test",
      FUNCTIONS_URL: s.FUNCTIONS_URL,
      DB_URL: s.DB_URL,
      POOLER_URL: s.POOLER_URL,
      ANON_KEY: s.ANON_KEY,
      NO_COLOR: "1",
    });
    return fromTap(r.stdout, r.code);
  },
  // Node-side code (import tools, chemistry checks): node:test over tests/unit/.
  unit: () => nodeTests("tests/unit"),
  // The web app in headless Chromium (Debian's, installed here when missing; playwright-core drives it):
  // tests/browser/, screenshots in test-results/web/.
  async browser() {
    ensureAptPackages(BROWSER_APT_PACKAGES);
    const s = await stack.status(c);
    return nodeTests("tests/browser", { WEB_URL: s.WEB_URL, FUNCTIONS_URL: s.FUNCTIONS_URL });
  },
  // The stack's own behaviour in bad states (node:test), run last: it stops and restarts pieces.
  stack: () => nodeTests("tests/stack"),
};

const { positionals: only } = parseArgs({ allowPositionals: true, options: {} });
const order = only.length ? only : Object.keys(suites);
for (const n of order) {
  if (!suites[n]) {
    console.error(`unknown suite ${n}; suites: ${Object.keys(suites).join(" ")}`);
    process.exit(2);
  }
}

const totals = { passed: 0, failed: 0 };
const rows = [];
const t0 = Date.now();
let code = 0;
try {
  const needsStack = order.some((n) => !WITHOUT_STACK.has(n));
  const reuse = needsStack && process.env.CRYO_TEST_REUSE === "1" && (await stack.status(c)).RUNNING.functions;
  if (!needsStack) console.log("== no test stack needed");
  else if (reuse) console.log("== reusing the running test stack");
  else {
    console.log(`== building the test stack (${c.root})`);
    await stack.reset(c);
  }
  for (const n of order) {
    console.log(`\n== ${n}`);
    const t = Date.now();
    const r = await suites[n]();
    const skipped = r.skipped ? `  (${r.skipped} skipped)` : "";
    rows.push(
      `${n.padEnd(9)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed  ${
        ((Date.now() - t) / 1000).toFixed(1)
      }s${skipped}`,
    );
    totals.passed += r.passed;
    totals.failed += r.failed;
  }
} catch (e) {
  console.error(`\nerror: ${e.message}`);
  totals.failed += 1;
  code = 1;
} finally {
  if (process.env.CRYO_TEST_KEEP !== "1" && order.some((n) => !WITHOUT_STACK.has(n))) {
    await stack.stop(c).catch(() => {});
  }
}
console.log(`\n${rows.join("\n")}\ntotal ${((Date.now() - t0) / 1000).toFixed(1)}s`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed > 0 || code ? 1 : 0);
