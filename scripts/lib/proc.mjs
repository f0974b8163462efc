// Small process helpers for the stack scripts (Node built-ins only: they run before `npm ci` has).
import { spawn, spawnSync } from "node:child_process";
import { createConnection } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export class StackError extends Error {}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new StackError(`${cmd}: ${r.error.message}`);
  return r;
}

export function must(cmd, args, opts = {}, what = `${cmd} ${args.join(" ")}`) {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new StackError(`${what} failed (exit ${r.status}):\n${(r.stderr || "") + (r.stdout || "")}`.trim());
  }
  return r;
}

/** Whether this process runs as root (the stack then runs Postgres and pgbouncer as the `postgres` OS user). */
export const isRoot = () => process.getuid?.() === 0;

const t0 = Date.now();
let quiet = false;
/** A progress line of the stack, with seconds since this process started; silenced by quietLog(true). */
export function log(message) {
  if (!quiet) console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}`);
}
/** Silences log() (`status -o json` prints JSON only). */
export function quietLog(on = true) {
  quiet = on;
}

/** Runs a command as the `postgres` OS user (Postgres and pgbouncer refuse root). */
export function asPostgres(cmd, args, opts = {}) {
  return isRoot() ? run("runuser", ["-u", "postgres", "--", cmd, ...args], opts) : run(cmd, args, opts);
}

/** The same without blocking the event loop (a load generator in the same process keeps reading). */
export function asPostgresAsync(cmd, args) {
  const [bin, argv] = isRoot() ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const p = spawn(bin, argv, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")}: ${err}`))));
  });
}

let bindir;
/** A PostgreSQL server program of the installed major version (Debian keeps them off PATH). */
export function pgBin(name) {
  bindir ??= run("pg_config", ["--bindir"]).stdout?.trim() || "/usr/lib/postgresql/15/bin";
  return join(bindir, name);
}

export function portOpen(port, host = "127.0.0.1", timeoutMs = 300) {
  return new Promise((resolve) => {
    const s = createConnection({ port, host });
    const done = (v) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

export function pidAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (PID 1 here does not reap) still answers kill(0).
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

export function readPid(file) {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").split("\n")[0].trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(fn, timeoutMs, stepMs = 100) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return true;
    await sleep(stepMs);
  }
  return false;
}
