// This stack's Postgres cluster: creating it (initdb as the `postgres` OS user, with Supabase-like settings),
// starting and stopping it (pgCtl, the one place that knows how), and psql over its trusted socket.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDir } from "./config.mjs";
import {
  asPostgres,
  isRoot,
  log,
  must,
  pgBin,
  pidAlive,
  portOpen,
  readPid,
  run,
  StackError,
  waitFor,
} from "./proc.mjs";

/** Creates `dir` (mode `mode`) owned by the `postgres` OS user when running as root. */
export function ownedByPostgres(dir, mode = 0o700) {
  ensureDir(dir, mode);
  chmodSync(dir, mode);
  if (isRoot()) must("chown", ["-R", "postgres:postgres", dir]);
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

/** Creates stack `c`'s cluster (initdb, bootstrap superuser supabase_admin) unless it exists; true when it made one. */
export function ensureCluster(c) {
  if (existsSync(join(c.pgdata, "PG_VERSION"))) return false;
  log(`creating cluster in ${c.pgdata}`);
  ensureDir(c.root);
  if (c.root.startsWith("/var/tmp/")) ownedByPostgres(join(c.root, ".."), 0o755);
  ownedByPostgres(c.root, 0o755);
  rmSync(c.pgdata, { recursive: true, force: true });
  ownedByPostgres(c.pgdata);
  ownedByPostgres(c.run, SOCKET_DIR_MODE);
  // supabase_admin is the bootstrap superuser, as on the platform; `postgres` is created demoted.
  const r = asPostgres(pgBin("initdb"), [
    "-D",
    c.pgdata,
    "-U",
    "supabase_admin",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
    "--no-sync",
  ]);
  if (r.status !== 0) throw new StackError(`initdb failed:\n${r.stderr}`);
  const confPath = join(c.pgdata, "postgresql.conf");
  writeFileSync(confPath, readFileSync(confPath, "utf8") + clusterConf(c));
  return true;
}

/** Whether stack `c`'s postmaster runs (and is not a zombie). */
export function pgRunning(c) {
  if (asPostgres(pgCtl.bin, ["-D", c.pgdata, "status"]).status !== 0) return false;
  // pg_ctl trusts kill(0), which a killed postmaster still answers until it is reaped (a zombie).
  return pidAlive(readPid(join(c.pgdata, "postmaster.pid")));
}

/** A killed postmaster not yet reaped makes Postgres refuse to start ("lock file exists"): wait it out. */
async function waitForReap(c) {
  const pid = readPid(join(c.pgdata, "postmaster.pid"));
  const exists = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (pid && exists() && !pidAlive(pid)) await waitFor(() => !exists(), 15000, 100);
}

/**
 * How this stack's cluster is started and stopped: the one place that knows (the load scenarios and the fault
 * tests start and stop it too).
 */
export const pgCtl = {
  bin: pgBin("pg_ctl"),
  log: (c) => join(c.run, "postgres.log"),
  start: (
    c,
  ) => [
    "-D",
    c.pgdata,
    "-l",
    pgCtl.log(c),
    "-w",
    "-t",
    "60",
    "-o",
    `-p ${c.ports.db} -k ${c.run} -c unix_socket_permissions=0700`,
    "start",
  ],
  stop: (c) => ["-D", c.pgdata, "-m", "fast", "-w", "stop"],
};

// The cluster may outlive the settings it was made with (another CRYO_PORT_OFFSET, or an old clone at the
// same path reusing /var/tmp data), so port and socket are passed at every start rather than trusted.
function runningPort(c) {
  const lines = readFileSync(join(c.pgdata, "postmaster.pid"), "utf8").split("\n");
  return Number(lines[3]);
}

/** Starts this stack's Postgres unless it runs; true when it was (re)started. */
export async function startPostgres(c) {
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
  const args = [
    "-X",
    "-q",
    "-v",
    "ON_ERROR_STOP=1",
    "-h",
    c.run,
    "-p",
    String(c.ports.db),
    "-U",
    user,
    "-d",
    db,
    ...extra,
  ];
  if (file) args.push("-f", file);
  return run(pgBin("psql"), args, file ? {} : { input: sql });
}

/** psql() with `opts.sql` or `opts.file`; throws StackError naming `what` and psql's error when it fails. */
export function mustPsql(c, what, opts) {
  const r = psql(c, opts.sql, opts);
  if (r.status !== 0) throw new StackError(`${what} failed:\n${r.stderr}`);
  return r;
}

let ids;
/** [uid, gid] of the `postgres` OS user. */
export function postgresIds() {
  ids ??= [Number(run("id", ["-u", "postgres"]).stdout), Number(run("id", ["-g", "postgres"]).stdout)];
  return ids;
}
