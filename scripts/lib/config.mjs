// Where each local stack lives and which ports it uses. The `dev` stack is what `npm start` runs; `npm test`
// uses a separate `test` stack so it never touches the developer's data. CRYO_PORT_OFFSET shifts every port
// (for a second checkout on the same machine).
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const LOCAL = join(ROOT, ".local");

const BASE_PORTS = {
  dev: { api: 54321, db: 54322, web: 54323, pooler: 54329 },
  test: { api: 54421, db: 54422, web: 54423, pooler: 54429 },
};

export function stackName() {
  const name = process.env.CRYO_STACK || "dev";
  if (!BASE_PORTS[name]) throw new Error(`CRYO_STACK must be one of ${Object.keys(BASE_PORTS).join(", ")}`);
  return name;
}

// Postgres runs as the `postgres` OS user, which cannot always traverse the checkout (a clone under /root,
// say). Then its files go to a folder keyed by the checkout's path.
function dataRoot(name) {
  const inTree = join(LOCAL, name);
  if (process.getuid?.() !== 0) return inTree;
  const probe = spawnSync("runuser", ["-u", "postgres", "--", "test", "-x", ROOT], { stdio: "ignore" });
  if (probe.status === 0) return inTree;
  const key = createHash("sha256").update(ROOT).digest("hex").slice(0, 12);
  return join("/var/tmp", `cryoprotect-${key}`, name);
}

export function stackConfig(name = stackName()) {
  const offset = Number(process.env.CRYO_PORT_OFFSET || 0);
  if (!Number.isInteger(offset) || offset < 0 || offset > 5000) {
    throw new Error("CRYO_PORT_OFFSET must be an integer 0..5000");
  }
  const p = BASE_PORTS[name];
  const ports = { api: p.api + offset, db: p.db + offset, web: p.web + offset, pooler: p.pooler + offset };
  const root = dataRoot(name);
  const meta = join(LOCAL, name); // always in the checkout: secrets, pids of our own processes, logs
  const c = {
    name,
    ports,
    root,
    meta,
    pgdata: join(root, "pgdata"),
    run: join(root, "run"), // socket dir and server logs, owned by postgres
    pgbouncerDir: join(root, "pgbouncer"),
    pgbouncerIni: join(root, "pgbouncer", "pgbouncer.ini"),
    pgbouncerPid: join(root, "pgbouncer", "pgbouncer.pid"),
    secretsFile: join(meta, "secrets.json"),
    functionsPid: join(meta, "functions.pid"),
    functionsLog: join(meta, "functions.log"),
    webDir: join(meta, "web"), // the built web app and its config.json (scripts/lib/web.mjs)
    webPid: join(meta, "web.pid"),
    webLog: join(meta, "web.log"),
    keysDir: join(LOCAL, "keys"),
  };
  c.dbUrl = `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`;
  c.superUrl = `postgresql://supabase_admin@127.0.0.1:${ports.db}/postgres`;
  c.apiUrl = `http://127.0.0.1:${ports.api}`;
  c.functionsUrl = `${c.apiUrl}/functions/v1`;
  c.webUrl = `http://127.0.0.1:${ports.web}`;
  return c;
}

export function readSecrets(c) {
  if (!existsSync(c.secretsFile)) return null;
  return JSON.parse(readFileSync(c.secretsFile, "utf8"));
}

export function poolerUrl(c, secrets = readSecrets(c)) {
  if (!secrets) return null;
  return `postgresql://cryo_api:${encodeURIComponent(secrets.apiPassword)}@127.0.0.1:${c.ports.pooler}/postgres`;
}

export function ensureDir(d, mode = 0o755) {
  mkdirSync(d, { recursive: true, mode });
}
