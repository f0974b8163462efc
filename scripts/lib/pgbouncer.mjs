// pgbouncer in transaction mode, the local stand-in for Supavisor: its configuration (written from the stack's
// ports and secrets), started as the `postgres` OS user, replaced when it is not what it should be.
import { chownSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asPostgres, isRoot, log, pidAlive, portOpen, readPid, StackError, waitFor } from "./proc.mjs";
import { ownedByPostgres, postgresIds } from "./postgres.mjs";

/** The pooler's admin-console user (database `pgbouncer`); not a Postgres role. */
export const POOLER_ADMIN = "pgbouncer_admin";

/**
 * Starts pgbouncer, or keeps the running one when it listens where and how it should. `restart`: Postgres was
 * just (re)started under it (after a crash, say), so it is replaced: pgbouncer 1.18 keeps what it learnt of
 * the old server - after failed logins it rejects every new client with "server login has been failing"
 * (fast fail) and only tries a new server login when a rejected client triggers one (reworked upstream in
 * 1.22, pgbouncer#998) - and a fresh pooler starts from the live server instead.
 */
export async function startPgbouncer(c, secrets, { restart = false } = {}) {
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
# A client can turn its role's statement and idle timeouts off with SET LOCAL; only the pooler bounds how long
# one client transaction holds a server connection: a query running 20 s is cancelled, a transaction left
# idle 20 s is closed (the functions' own statements are bounded at 3 s by default).
query_timeout = 20
idle_transaction_timeout = 20
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
  if (!restart && pidAlive(pid) && same(ini, iniText) && same(users, usersText) && await portOpen(c.ports.pooler)) {
    return;
  }
  if (pidAlive(pid)) {
    process.kill(pid, "SIGTERM");
    await waitFor(() => !pidAlive(pid), 3000, 50);
  }
  if (await portOpen(c.ports.pooler)) {
    throw new StackError(
      `port ${c.ports.pooler} (pooler) is taken by another process; stop it or set CRYO_PORT_OFFSET`,
    );
  }
  ownedByPostgres(c.pgbouncerDir, 0o700);
  writeFileSync(ini, iniText);
  writeFileSync(users, usersText, { mode: 0o600 });
  for (const f of [ini, users]) if (isRoot()) chownSync(f, ...postgresIds());
  rmSync(c.pgbouncerPid, { force: true });
  log(`starting pgbouncer (transaction mode) on ${c.ports.pooler}`);
  const r = asPostgres("pgbouncer", ["-d", ini]);
  if (r.status !== 0) throw new StackError(`pgbouncer did not start:\n${r.stderr}${r.stdout}`);
  if (!await waitFor(() => portOpen(c.ports.pooler), 5000)) {
    const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-10).join("\n") : "";
    throw new StackError(`pgbouncer is not listening on ${c.ports.pooler}:\n${tail}`);
  }
}

/** Sends pgbouncer SIGTERM; returns the pid it had (or null). */
export function stopPgbouncer(c) {
  const pid = readPid(c.pgbouncerPid);
  if (pidAlive(pid)) process.kill(pid, "SIGTERM");
  return pid;
}
