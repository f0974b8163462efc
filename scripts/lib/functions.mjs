// The edge functions, served by Deno (scripts/functions-server.ts, the local gateway) as a detached process
// whose output goes to .local/<stack>/functions.log: its environment, its health, starting and stopping it.
import { spawn } from "node:child_process";
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { poolerUrl, ROOT } from "./config.mjs";
import { log, pidAlive, portOpen, readPid, StackError, waitFor } from "./proc.mjs";
import { portUsers } from "./ports.mjs";

/**
 * The functions server's environment for stack `c`: the pooler URL (as cryo_api), the local JWKS, its port,
 * CRYO_ENV=local, CRYO_BENCH_ROUTES=1 and the per-caller rate limit (raised on the dev stack for load runs).
 */
/**
 * The command that serves every function of checkout `root` (the local gateway, scripts/functions-server.ts)
 * with that checkout's deno.json: [executable, args] for child_process.spawn.
 */
export function functionsServerCommand(root = ROOT) {
  return [join(ROOT, "node_modules/.bin/deno"), [
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--config",
    join(root, "deno.json"),
    join(root, "scripts/functions-server.ts"),
  ]];
}

export function functionsEnv(c, secrets) {
  const jwks = readFileSync(join(c.keysDir, "jwks.json"), "utf8");
  return {
    CRYO_DB_URL: poolerUrl(c, secrets),
    SUPABASE_URL: c.apiUrl,
    SUPABASE_JWKS: jwks,
    CRYO_FUNCTIONS_PORT: String(c.ports.api),
    // A local stack: the pooler listens on a local port (not :6543). Production leaves it unset (CRYO_ENV
    // defaults to production).
    CRYO_ENV: process.env.CRYO_ENV || "local",
    // The gateway mounts the load scenarios' routes (scripts/load/bench-routes.ts) at /functions/v1/bench/*;
    // they live in the benchmark harness, never in a deployed function.
    CRYO_BENCH_ROUTES: process.env.CRYO_BENCH_ROUTES || "1",
    NO_COLOR: "1", // plain text in functions.log
    // The per-caller limit: the test stack keeps the production default (300 requests/s per caller) so the
    // tests see it; the dev stack, where `npm run load` runs, raises it so that the load scenarios (one
    // caller per connection, several hundred requests/s each) still measure the pool and the pooler.
    CRYO_RATE_LIMIT_POINTS: process.env.CRYO_RATE_LIMIT_POINTS || (c.name === "dev" ? "10000" : ""),
  };
}

/** GET /health: { status } (0 when nothing answered within `timeoutMs`) and the body, for diagnostics. */
export async function functionsHealth(c, timeoutMs = 2000) {
  try {
    const r = await fetch(`${c.functionsUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: r.status, body: (await r.text()).slice(0, 500) };
  } catch (e) {
    return { status: 0, body: String(e?.message ?? e) };
  }
}

/** Whether GET /health of stack `c`'s functions answers 200 within 2 s. */
export async function functionsHealthy(c) {
  return (await functionsHealth(c)).status === 200;
}

// How long a server that answers, but not yet 200 (its database module is still recovering from an outage:
// breaker open, pooler reconnecting), is given before it is replaced. It heals by itself (tests/stack/
// pool_faults.test.mjs); restarting it throws away that recovery and starts a new process on a loaded machine.
const FUNCTIONS_RECOVERY_MS = 20000;

/**
 * Starts the functions server of stack `c` unless a healthy one runs (one that answers but is recovering gets
 * FUNCTIONS_RECOVERY_MS). Throws StackError when the port is taken, when the server exits before serving
 * (naming the socket holding its port), or when it is not healthy within a minute (with the logs' tails).
 */
export async function startFunctions(c, secrets) {
  const pid = readPid(c.functionsPid);
  if (pidAlive(pid)) {
    const h = await functionsHealth(c);
    if (h.status === 200) return;
    if (h.status !== 0 && await waitFor(() => functionsHealthy(c), FUNCTIONS_RECOVERY_MS, 250)) return;
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      process.kill(pid, "SIGTERM");
    }
  }
  if (await portOpen(c.ports.api)) {
    if (!await waitFor(async () => !(await portOpen(c.ports.api)), 3000)) {
      throw new StackError(
        `port ${c.ports.api} (functions) is taken by another process; stop it or set CRYO_PORT_OFFSET`,
      );
    }
  }
  log(`serving edge functions on ${c.functionsUrl}`);
  const out = openSync(c.functionsLog, "a");
  const child = spawn(...functionsServerCommand(), { cwd: ROOT, detached: true, stdio: ["ignore", out, out], env: { ...process.env, ...functionsEnv(c, secrets) } });
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  child.unref();
  writeFileSync(c.functionsPid, String(child.pid));
  // Healthy, or dead (no point waiting a minute for a process that is gone).
  await waitFor(async () => exited !== null || await functionsHealthy(c), 60000, 200);
  if (exited) {
    const tail = readFileSync(c.functionsLog, "utf8").split("\n").slice(-8).join("\n");
    const inUse = /AddrInUse/.test(tail) ? `\nport ${c.ports.api} is in use: ${portUsers(c.ports.api)}` : "";
    throw new StackError(
      `the functions server exited (${exited.signal ?? `code ${exited.code}`}) before serving:${inUse}\n` +
        `--- ${c.functionsLog} ---\n${tail}`,
    );
  }
  if (!await functionsHealthy(c)) {
    const tail = readFileSync(c.functionsLog, "utf8").split("\n").slice(-20).join("\n");
    const h = await functionsHealth(c);
    const poolerLog = join(c.pgbouncerDir, "pgbouncer.log");
    const ptail = existsSync(poolerLog)
      ? readFileSync(poolerLog, "utf8").split("\n").filter((l) => !/ stats: /.test(l)).slice(-15).join("\n")
      : "";
    throw new StackError(
      `edge functions did not become healthy at ${c.functionsUrl}/health (last answer: ${h.status} ${h.body}):\n` +
        `--- ${c.functionsLog} ---\n${tail}\n--- ${poolerLog} ---\n${ptail}`,
    );
  }
}

/** Stops the functions server (its whole process group) and forgets its pid. */
export function stopFunctions(c) {
  const pid = readPid(c.functionsPid);
  if (pidAlive(pid)) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      process.kill(pid, "SIGTERM");
    }
  }
  rmSync(c.functionsPid, { force: true });
}
