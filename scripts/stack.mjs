#!/usr/bin/env node
// The local stack: Postgres 15 with the Supabase platform emulated, our migrations and seed, pgbouncer in
// transaction mode standing in for Supavisor, and every edge function served by Deno.
//   node scripts/stack.mjs start|stop|reset|status [-o json]
// CRYO_STACK=dev (default) or test selects the stack; each has its own data and ports.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ensureDir, LOCAL, poolerUrl, readSecrets, ROOT, stackConfig } from "./lib/config.mjs";
import { asPostgres, must, pgBin, pidAlive, portOpen, readPid, run, StackError, waitFor } from "./lib/proc.mjs";

const APT_PACKAGES = [
  "postgresql-15-pgtap",
  "postgresql-15-cron",
  "postgresql-15-plpgsql-check",
  "pgbouncer",
  "libtap-parser-sourcehandler-pgtap-perl",
];

const isRoot = process.getuid?.() === 0;
const t0 = Date.now();
let quiet = false;
const log = (m) => { if (!quiet) console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`); };

/** --- Installs --- */

function ensureNodeDeps() {
  const marker = join(ROOT, "node_modules", ".package-lock.json");
  const lock = join(ROOT, "package-lock.json");
  if (existsSync(marker) && (!existsSync(lock) || statSync(lock).mtimeMs <= statSync(marker).mtimeMs)) return;
  log("installing npm dependencies (npm ci)");
  must("npm", ["ci", "--no-audit", "--no-fund"], { cwd: ROOT, stdio: "inherit" }, "npm ci");
}

function ensureAptPackages() {
  const missing = APT_PACKAGES.filter((p) => {
    const r = run("dpkg-query", ["-W", "-f=${Status}", p]);
    return r.status !== 0 || !r.stdout.includes("install ok installed");
  });
  if (!missing.length) return;
  // Never name the server package nor upgrade: a newer minor would replace the installed server.
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (!isRoot) throw new StackError(`missing Debian packages: ${missing.join(", ")}\nrun as root:\n  ${cmd}`);
  log(`installing ${missing.join(", ")}`);
  must("apt-get", ["update", "-q"], { stdio: ["ignore", "ignore", "inherit"] }, "apt-get update");
  must("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }, "apt-get install");
  if (run("id", ["-u", "postgres"]).status !== 0) must("useradd", ["--system", "--no-create-home", "postgres"]);
}

/** --- Secrets and keys (gitignored .local/) --- */

async function ensureSecrets(c) {
  ensureDir(c.meta);
  let s = readSecrets(c);
  // The pooler's admin console gets its own random password (older secrets files predate it).
  if (!s || !s.poolerAdminPassword) {
    s = { apiPassword: randomBytes(18).toString("base64url"), ...s, poolerAdminPassword: randomBytes(18).toString("base64url") };
    writeFileSync(c.secretsFile, JSON.stringify(s, null, 2), { mode: 0o600 });
  }
  const { ensureSigningKey } = await import("./lib/keys.mjs");
  await ensureSigningKey(c);
  return s;
}

/** --- Ports --- */

const RESERVED_PORTS = "/proc/sys/net/ipv4/ip_local_reserved_ports";

/**
 * The stack's ports (5432x, 5442x plus CRYO_PORT_OFFSET) lie inside Linux's ephemeral range (32768-60999), from
 * which the kernel picks the source port of every outgoing connection. When an open connection happens to use
 * one of them, binding that port fails (EADDRINUSE) although nothing listens there: a restarted functions
 * server, pooler or Postgres then cannot come back (this made "a crashed Postgres ... is recovered by start"
 * fail now and then, with the old server's breaker lines at the end of its log). As root, the ports are taken
 * out of the ephemeral range (ip_local_reserved_ports, of this network namespace: explicit binds still work,
 * only the automatic source-port choice skips them); without root a clash stays possible, and startFunctions
 * reports it at once, naming the port and the socket holding it.
 */
function reserveStackPorts(c) {
  if (!isRoot || !existsSync(RESERVED_PORTS)) return;
  try {
    const current = readFileSync(RESERVED_PORTS, "utf8").trim();
    const listed = current ? current.split(",") : [];
    const covered = (port) => listed.some((r) => {
      const [a, b = a] = r.split("-").map(Number);
      return port >= a && port <= b;
    });
    const missing = Object.values(c.ports).filter((p) => !covered(p)).map(String);
    if (missing.length) writeFileSync(RESERVED_PORTS, [...listed, ...missing].join(","));
  } catch (e) {
    log(`note: could not reserve ports ${Object.values(c.ports).join(", ")} from the ephemeral range (${e.message})`);
  }
}

/** --- Postgres --- */

function ownedByPostgres(dir, mode = 0o700) {
  ensureDir(dir, mode);
  chmodSync(dir, mode);
  if (isRoot) must("chown", ["-R", "postgres:postgres", dir]);
}

/**
 * The socket directory (also the server log's) is the OS user's alone: local connections are trusted, so
 * whoever can reach the socket is any role, superuser included. Root keeps access (the stack runs as root).
 */
export const SOCKET_DIR_MODE = 0o700;

function clusterConf(c) {
  return `
# CryoProtect local stack (${c.name}) - Supabase-like settings
port = ${c.ports.db}
listen_addresses = '127.0.0.1'
unix_socket_directories = '${c.run}'
# the socket trusts its users (initdb --auth-local=trust): only the OS user running Postgres (and root) may reach it
unix_socket_permissions = 0700
shared_preload_libraries = 'pg_stat_statements, pg_cron, plpgsql_check'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
max_connections = 100
pg_stat_statements.track = all
# throwaway local data: durability off for speed
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
`;
}

function ensureCluster(c) {
  if (existsSync(join(c.pgdata, "PG_VERSION"))) return false;
  log(`creating cluster in ${c.pgdata}`);
  ensureDir(c.root);
  if (c.root.startsWith("/var/tmp/")) ownedByPostgres(join(c.root, ".."), 0o755);
  ownedByPostgres(c.root, 0o755);
  rmSync(c.pgdata, { recursive: true, force: true });
  ownedByPostgres(c.pgdata);
  ownedByPostgres(c.run, SOCKET_DIR_MODE);
  // supabase_admin is the bootstrap superuser, as on the platform; `postgres` is created demoted.
  const r = asPostgres(pgBin("initdb"), ["-D", c.pgdata, "-U", "supabase_admin", "--auth-local=trust",
    "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  if (r.status !== 0) throw new StackError(`initdb failed:\n${r.stderr}`);
  const confPath = join(c.pgdata, "postgresql.conf");
  writeFileSync(confPath, readFileSync(confPath, "utf8") + clusterConf(c));
  return true;
}

function pgRunning(c) {
  if (asPostgres(pgCtl.bin, ["-D", c.pgdata, "status"]).status !== 0) return false;
  // pg_ctl trusts kill(0), which a killed postmaster still answers until it is reaped (a zombie).
  return pidAlive(readPid(join(c.pgdata, "postmaster.pid")));
}

/** A killed postmaster not yet reaped makes Postgres refuse to start ("lock file exists"): wait it out. */
async function waitForReap(c) {
  const pid = readPid(join(c.pgdata, "postmaster.pid"));
  const exists = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  if (pid && exists() && !pidAlive(pid)) await waitFor(() => !exists(), 15000, 100);
}

/**
 * How this stack's cluster is started and stopped: the one place that knows (the load scenarios and the fault
 * tests start and stop it too).
 */
export const pgCtl = {
  bin: pgBin("pg_ctl"),
  log: (c) => join(c.run, "postgres.log"),
  start: (c) => ["-D", c.pgdata, "-l", pgCtl.log(c), "-w", "-t", "60",
    "-o", `-p ${c.ports.db} -k ${c.run} -c unix_socket_permissions=0700`, "start"],
  stop: (c) => ["-D", c.pgdata, "-m", "fast", "-w", "stop"],
};

// The cluster may outlive the settings it was made with (another CRYO_PORT_OFFSET, or an old clone at the
// same path reusing /var/tmp data), so port and socket are passed at every start rather than trusted.
function runningPort(c) {
  const lines = readFileSync(join(c.pgdata, "postmaster.pid"), "utf8").split("\n");
  return Number(lines[3]);
}

/** Starts this stack's Postgres unless it runs; true when it was (re)started. */
async function startPostgres(c) {
  if (pgRunning(c)) {
    const port = runningPort(c);
    if (port === c.ports.db) return false;
    log(`Postgres of this stack runs on port ${port}; restarting it on ${c.ports.db}`);
    asPostgres(pgCtl.bin, pgCtl.stop(c));
  }
  if (await portOpen(c.ports.db)) {
    throw new StackError(`port ${c.ports.db} (database) is taken by another process; stop it or set CRYO_PORT_OFFSET`);
  }
  ownedByPostgres(c.run, SOCKET_DIR_MODE);
  await waitForReap(c);
  const logFile = pgCtl.log(c);
  log(`starting Postgres on ${c.ports.db}`);
  // A crash leaves postmaster.pid behind; Postgres itself discards it when that pid is not a postmaster.
  const r = asPostgres(pgCtl.bin, pgCtl.start(c));
  if (r.status !== 0) {
    const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n") : "";
    throw new StackError(`Postgres did not start:\n${r.stderr}${r.stdout}\n--- ${logFile} ---\n${tail}`);
  }
  return true;
}

/**
 * psql over the stack's socket as `user` (default the bootstrap superuser). SQL goes in on stdin, never in the
 * arguments: process arguments are readable by every local user (ps, /proc/<pid>/cmdline), and some of our
 * statements carry secrets. `file` runs a file instead.
 */
export function psql(c, sql, { user = "supabase_admin", file, db = "postgres", extra = [] } = {}) {
  const args = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", c.run, "-p", String(c.ports.db), "-U", user, "-d", db, ...extra];
  if (file) args.push("-f", file);
  return run(pgBin("psql"), args, file ? {} : { input: sql });
}

function mustPsql(c, what, opts) {
  const r = psql(c, opts.sql, opts);
  if (r.status !== 0) throw new StackError(`${what} failed:\n${r.stderr}`);
  return r;
}

function applyPlatform(c) {
  const file = join(ROOT, "scripts/platform/platform.sql");
  const hash = createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 16);
  mustPsql(c, "platform emulation (scripts/platform/platform.sql)", { file, extra: ["-v", `platform_hash=${hash}`] });
}

/**
 * `supabase migration up --include-all` as postgres, then the reserved-role check. Throws StackError naming the
 * failed migration and its error. `workdir` is a Supabase project folder (CRYO_SUPABASE_WORKDIR: the stack's
 * own tests point it elsewhere).
 */
export function applyMigrations(c, workdir = process.env.CRYO_SUPABASE_WORKDIR || ROOT) {
  const url = `${c.dbUrl}?sslmode=disable`;
  const r = run(join(ROOT, "node_modules/.bin/supabase"), ["migration", "up", "--db-url", url, "--include-all", "--workdir", workdir],
    { cwd: ROOT, env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" } });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) {
    const applying = [...out.matchAll(/Applying migration (\S+)/g)].map((m) => m[1]);
    const failed = applying.length ? `supabase/migrations/${applying[applying.length - 1]}` : "a migration";
    throw new StackError(`migration failed: ${failed}\n${out.trim()}`);
  }
  const applied = [...out.matchAll(/Applying migration (\S+?)\.*$/gm)].map((m) => m[1]);
  if (applied.length) log(`applied ${applied.length} migration(s)`);
  checkReservedRoles(c, applied);
}

/**
 * supautils refuses, on hosted projects, any change a migration makes to a reserved role (anon, authenticated,
 * service_role, authenticator, supabase_*...: attributes, password, and the settings of those without `*` in
 * supautils.reserved_roles) and any grant of a reserved membership (authenticator, pg_*_server_*). Role DDL
 * fires no event trigger, so the emulation compares with the baseline recorded before any migration ran.
 */
function checkReservedRoles(c, applied) {
  const r = mustPsql(c, "checking reserved roles", { sql: "select platform_emulation.reserved_violations()", extra: ["-At"] });
  const violations = r.stdout.trim();
  if (!violations) return;
  throw new StackError(`a migration broke a platform rule: reserved roles and reserved memberships cannot be changed by
migrations on Supabase (supautils.reserved_roles / supautils.reserved_memberships); \`supabase db push\` would fail.
${violations.split("\n").map((l) => `  ${l}`).join("\n")}
migrations applied in this run: ${applied.length ? applied.join(", ") : "(none; the change was made earlier: npm run reset)"}`);
}

// Next to the cluster, so that it lives and dies with the data it describes.
function seededMarker(c) { return join(c.root, "seeded"); }

function seedHash() {
  return createHash("sha256").update(readFileSync(join(ROOT, "supabase/seed.sql"))).digest("hex");
}

function applySeed(c) {
  const marker = seededMarker(c);
  if (existsSync(marker)) {
    if (readFileSync(marker, "utf8").trim() !== seedHash()) {
      log("note: supabase/seed.sql changed since this database was seeded; `npm run reset` reloads it");
    }
    return;
  }
  log("loading supabase/seed.sql");
  // As `postgres`, like the CLI's `db reset`, so the seed cannot rely on superuser powers.
  mustPsql(c, "seed (supabase/seed.sql)", { user: "postgres", file: join(ROOT, "supabase/seed.sql"),
    extra: ["-1"] });
  writeFileSync(marker, seedHash());
}

function setApiPassword(c, secrets) {
  // Local stand-in for the deploy step that gives cryo_api its login password (on stdin, see psql()).
  const pw = secrets.apiPassword.replace(/'/g, "''");
  mustPsql(c, "setting the cryo_api password", { sql: `alter role cryo_api with login password '${pw}'` });
}

/** --- pgbouncer (local Supavisor, transaction mode) --- */

/** The pooler's admin-console user (database `pgbouncer`); not a Postgres role. */
export const POOLER_ADMIN = "pgbouncer_admin";

/**
 * Starts pgbouncer, or keeps the running one when it listens where and how it should. `restart`: Postgres was
 * just (re)started under it (after a crash, say), so it is replaced: pgbouncer 1.18 keeps what it learnt of
 * the old server - after failed logins it rejects every new client with "server login has been failing"
 * (fast fail) and only tries a new server login when a rejected client triggers one (reworked upstream in
 * 1.22, pgbouncer#998) - and a fresh pooler starts from the live server instead.
 */
async function startPgbouncer(c, secrets, { restart = false } = {}) {
  const ini = c.pgbouncerIni;
  const users = join(c.pgbouncerDir, "userlist.txt");
  const logFile = join(c.pgbouncerDir, "pgbouncer.log");
  // Pool sizing mirrors the CLI's [db.pooler] defaults; server_login_retry short so a fresh role is usable fast.
  const iniText = `[databases]
postgres = host=127.0.0.1 port=${c.ports.db} dbname=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${c.ports.pooler}
unix_socket_dir =
pool_mode = transaction
auth_type = scram-sha-256
auth_file = ${users}
admin_users = ${POOLER_ADMIN}
stats_users = ${POOLER_ADMIN}
default_pool_size = ${process.env.CRYO_POOLER_POOL_SIZE || 20}
max_client_conn = ${process.env.CRYO_POOLER_MAX_CLIENTS || 200}
server_login_retry = 1
query_wait_timeout = 30
server_lifetime = 3600
server_idle_timeout = 300
ignore_startup_parameters = extra_float_digits,options,search_path
logfile = ${logFile}
pidfile = ${c.pgbouncerPid}
`;
  // The admin console (SHOW/PAUSE/RECONNECT...) has its own random password from .local/<stack>/secrets.json.
  const usersText = `"cryo_api" "${secrets.apiPassword}"\n"${POOLER_ADMIN}" "${secrets.poolerAdminPassword}"\n`;
  const same = (f, text) => existsSync(f) && readFileSync(f, "utf8") === text;
  const pid = readPid(c.pgbouncerPid);
  // Ours and configured as now: keep it. Ours but listening elsewhere or configured otherwise: replace it.
  if (!restart && pidAlive(pid) && same(ini, iniText) && same(users, usersText) && await portOpen(c.ports.pooler)) return;
  if (pidAlive(pid)) {
    process.kill(pid, "SIGTERM");
    await waitFor(() => !pidAlive(pid), 3000, 50);
  }
  if (await portOpen(c.ports.pooler)) {
    throw new StackError(`port ${c.ports.pooler} (pooler) is taken by another process; stop it or set CRYO_PORT_OFFSET`);
  }
  ownedByPostgres(c.pgbouncerDir, 0o700);
  writeFileSync(ini, iniText);
  writeFileSync(users, usersText, { mode: 0o600 });
  for (const f of [ini, users]) if (isRoot) chownSync(f, ...pgIds());
  rmSync(c.pgbouncerPid, { force: true });
  log(`starting pgbouncer (transaction mode) on ${c.ports.pooler}`);
  const r = asPostgres("pgbouncer", ["-d", ini]);
  if (r.status !== 0) throw new StackError(`pgbouncer did not start:\n${r.stderr}${r.stdout}`);
  if (!await waitFor(() => portOpen(c.ports.pooler), 5000)) {
    const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-10).join("\n") : "";
    throw new StackError(`pgbouncer is not listening on ${c.ports.pooler}:\n${tail}`);
  }
}

let _ids;
function pgIds() {
  if (!_ids) _ids = [Number(run("id", ["-u", "postgres"]).stdout), Number(run("id", ["-g", "postgres"]).stdout)];
  return _ids;
}

function stopPgbouncer(c) {
  const pid = readPid(c.pgbouncerPid);
  if (pidAlive(pid)) process.kill(pid, "SIGTERM");
  return pid;
}

/** --- Edge functions (Deno) --- */

export function functionsEnv(c, secrets) {
  const jwks = readFileSync(join(c.keysDir, "jwks.json"), "utf8");
  return {
    CRYO_DB_URL: poolerUrl(c, secrets),
    SUPABASE_URL: c.apiUrl,
    SUPABASE_JWKS: jwks,
    CRYO_FUNCTIONS_PORT: String(c.ports.api),
    // A local stack: the pooler listens on a local port (not :6543), and the slow-query route used by the
    // load scenarios exists. Production leaves both unset (CRYO_ENV defaults to production).
    CRYO_ENV: process.env.CRYO_ENV || "local",
    CRYO_DEBUG_ROUTES: process.env.CRYO_DEBUG_ROUTES || "1",
    NO_COLOR: "1", // plain text in functions.log
    // The per-caller limit: the test stack keeps the production default (300 requests/s per caller) so the
    // tests see it; the dev stack, where `npm run load` runs, raises it so that the load scenarios (one
    // caller per connection, several hundred requests/s each) still measure the pool and the pooler.
    CRYO_RATE_LIMIT_POINTS: process.env.CRYO_RATE_LIMIT_POINTS || (c.name === "dev" ? "10000" : ""),
  };
}

/** GET /health: { status } (0 when nothing answered within `timeoutMs`) and the body, for diagnostics. */
async function functionsHealth(c, timeoutMs = 2000) {
  try {
    const r = await fetch(`${c.functionsUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: r.status, body: (await r.text()).slice(0, 500) };
  } catch (e) {
    return { status: 0, body: String(e?.message ?? e) };
  }
}

async function functionsHealthy(c) {
  return (await functionsHealth(c)).status === 200;
}

// How long a server that answers, but not yet 200 (its database module is still recovering from an outage:
// breaker open, pooler reconnecting), is given before it is replaced. It heals by itself (tests/stack/
// pool_faults.test.mjs); restarting it throws away that recovery and starts a new process on a loaded machine.
const FUNCTIONS_RECOVERY_MS = 20000;

async function startFunctions(c, secrets) {
  const pid = readPid(c.functionsPid);
  if (pidAlive(pid)) {
    const h = await functionsHealth(c);
    if (h.status === 200) return;
    if (h.status !== 0 && await waitFor(() => functionsHealthy(c), FUNCTIONS_RECOVERY_MS, 250)) return;
    try { process.kill(-pid, "SIGTERM"); } catch { process.kill(pid, "SIGTERM"); }
  }
  if (await portOpen(c.ports.api)) {
    if (!await waitFor(async () => !(await portOpen(c.ports.api)), 3000)) {
      throw new StackError(`port ${c.ports.api} (functions) is taken by another process; stop it or set CRYO_PORT_OFFSET`);
    }
  }
  log(`serving edge functions on ${c.functionsUrl}`);
  const out = openSync(c.functionsLog, "a");
  const child = spawn(join(ROOT, "node_modules/.bin/deno"),
    ["run", "--allow-net", "--allow-env", "--allow-read", "--config", join(ROOT, "deno.json"), join(ROOT, "scripts/functions-server.ts")],
    { cwd: ROOT, detached: true, stdio: ["ignore", out, out], env: { ...process.env, ...functionsEnv(c, secrets) } });
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  child.unref();
  writeFileSync(c.functionsPid, String(child.pid));
  // Healthy, or dead (no point waiting a minute for a process that is gone).
  await waitFor(async () => exited !== null || await functionsHealthy(c), 60000, 200);
  if (exited) {
    const tail = readFileSync(c.functionsLog, "utf8").split("\n").slice(-8).join("\n");
    const inUse = /AddrInUse/.test(tail) ? `\nport ${c.ports.api} is in use: ${portUsers(c.ports.api)}` : "";
    throw new StackError(`the functions server exited (${exited.signal ?? `code ${exited.code}`}) before serving:${inUse}\n` +
      `--- ${c.functionsLog} ---\n${tail}`);
  }
  if (!await functionsHealthy(c)) {
    const tail = readFileSync(c.functionsLog, "utf8").split("\n").slice(-20).join("\n");
    const h = await functionsHealth(c);
    const poolerLog = join(c.pgbouncerDir, "pgbouncer.log");
    const ptail = existsSync(poolerLog)
      ? readFileSync(poolerLog, "utf8").split("\n").filter((l) => !/ stats: /.test(l)).slice(-15).join("\n") : "";
    throw new StackError(`edge functions did not become healthy at ${c.functionsUrl}/health (last answer: ${h.status} ${h.body}):\n` +
      `--- ${c.functionsLog} ---\n${tail}\n--- ${poolerLog} ---\n${ptail}`);
  }
}

/** Which sockets hold a local port (ss), for error messages. */
function portUsers(port) {
  const r = run("ss", ["-Htanp", `sport = :${port}`]);
  const lines = (r.stdout || "").trim();
  return lines ? `\n${lines}` : "(no socket now)";
}

function stopFunctions(c) {
  const pid = readPid(c.functionsPid);
  if (pidAlive(pid)) {
    try { process.kill(-pid, "SIGTERM"); } catch { process.kill(pid, "SIGTERM"); }
  }
  rmSync(c.functionsPid, { force: true });
}

/**
 * A cluster with nothing but the platform emulation: what a new hosted project has before its first
 * migration. The stack starts this way; the platform tests build throwaway ones (any `c` shaped like
 * stackConfig()'s) to check the emulation itself.
 */
export async function bootstrapCluster(c) {
  const fresh = ensureCluster(c);
  const started = await startPostgres(c);
  applyPlatform(c);
  return { fresh, started };
}

/** --- Commands --- */

export async function start(c = stackConfig()) {
  ensureNodeDeps();
  ensureAptPackages();
  const secrets = await ensureSecrets(c);
  reserveStackPorts(c);
  const { fresh, started } = await bootstrapCluster(c);
  if (fresh) rmSync(seededMarker(c), { force: true });
  applyMigrations(c);
  setApiPassword(c, secrets);
  applySeed(c);
  await startPgbouncer(c, secrets, { restart: started });
  await startFunctions(c, secrets);
  return c;
}

export async function stop(c = stackConfig()) {
  stopFunctions(c);
  stopPgbouncer(c);
  if (existsSync(join(c.pgdata, "PG_VERSION")) && pgRunning(c)) {
    asPostgres(pgCtl.bin, pgCtl.stop(c));
  }
  await waitFor(async () => !(await portOpen(c.ports.pooler)), 3000);
}

export async function reset(c = stackConfig()) {
  await stop(c);
  log(`dropping ${c.pgdata}`);
  rmSync(c.pgdata, { recursive: true, force: true });
  rmSync(seededMarker(c), { force: true });
  return start(c);
}

export async function status(c = stackConfig()) {
  const secrets = readSecrets(c);
  const { anonKey } = await import("./lib/keys.mjs");
  const running = {
    db: existsSync(join(c.pgdata, "PG_VERSION")) && pgRunning(c),
    pooler: await portOpen(c.ports.pooler),
    functions: await functionsHealthy(c),
  };
  return {
    API_URL: c.apiUrl,
    DB_URL: c.dbUrl,
    POOLER_URL: secrets ? poolerUrl(c, secrets) : null,
    FUNCTIONS_URL: c.functionsUrl,
    JWKS_URL: `${c.apiUrl}/auth/v1/.well-known/jwks.json`,
    ANON_KEY: existsSync(join(c.keysDir, "signing_key.json")) ? await anonKey(c) : null,
    STACK: c.name,
    RUNNING: running,
  };
}

function printHuman(s) {
  const up = (b) => (b ? "running" : "stopped");
  console.log(`
CryoProtect local stack (${s.STACK}): database ${up(s.RUNNING.db)}, pooler ${up(s.RUNNING.pooler)}, functions ${up(s.RUNNING.functions)}

         API URL: ${s.API_URL}
   Functions URL: ${s.FUNCTIONS_URL}
          DB URL: ${s.DB_URL}
      Pooler URL: ${s.POOLER_URL}   (transaction mode: what the functions use)
        JWKS URL: ${s.JWKS_URL}
        anon key: ${s.ANON_KEY}

A user token:     npm run token -- user alice@example.org
Health:           curl ${s.FUNCTIONS_URL}/health
`);
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const json = rest.includes("-o") && rest[rest.indexOf("-o") + 1] === "json";
  try {
    if (cmd === "start") { await start(); printHuman(await status()); log("ready"); }
    else if (cmd === "stop") { await stop(); console.log("stopped"); }
    else if (cmd === "reset") { await reset(); printHuman(await status()); log("ready"); }
    else if (cmd === "status") {
      quiet = json;
      const s = await status();
      if (json) console.log(JSON.stringify(s, null, 2)); else printHuman(s);
    } else {
      console.error("usage: stack.mjs start|stop|reset|status [-o json]");
      process.exit(2);
    }
  } catch (e) {
    if (e instanceof StackError) { console.error(`\nerror: ${e.message}`); process.exit(1); }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
