// The local stack in bad states. Runs against the test stack (CRYO_STACK=test), last in `npm test`,
// because it stops and breaks pieces of it on purpose; every test leaves the stack healthy again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { readPid } from "../../scripts/lib/proc.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");

function stackCmd(cmd, env = {}, ...args) {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/stack.mjs"), cmd, ...args],
    { encoding: "utf8", env: { ...process.env, CRYO_STACK: "test", ...env } });
  return { code: r.status, out: r.stdout + r.stderr };
}

async function healthy() {
  const r = await fetch(`${c.functionsUrl}/health`);
  return r.status === 200 && (await r.json()).database.reachable === true;
}

test("a second start is a no-op: nothing created, applied or restarted", async () => {
  const before = readPid(c.functionsPid);
  const r = stackCmd("start");
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /creating cluster|applied \d+ migration|starting Postgres|starting pgbouncer|serving edge functions/);
  assert.equal(readPid(c.functionsPid), before, "the functions server kept running");
  assert.ok(await healthy());
});

test("status -o json prints the connection facts like `supabase status -o json`", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/stack.mjs"), "status", "-o", "json"],
    { encoding: "utf8", env: { ...process.env, CRYO_STACK: "test" } });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  for (const k of ["API_URL", "DB_URL", "POOLER_URL", "FUNCTIONS_URL", "ANON_KEY"]) assert.ok(s[k], `${k} is set`);
  assert.equal(s.POOLER_URL.includes(`:${c.ports.pooler}/`), true);
  assert.deepEqual(s.RUNNING, { db: true, pooler: true, functions: true });
});

test("a crashed Postgres (SIGKILL, stale postmaster.pid) is recovered by start", async () => {
  const pid = Number(readFileSync(join(c.pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
  process.kill(pid, "SIGKILL");
  await new Promise((r) => setTimeout(r, 300));
  const down = await fetch(`${c.functionsUrl}/health`);
  assert.equal(down.status, 503, "health reports the outage");
  await down.body?.cancel();
  const r = stackCmd("start");
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /starting Postgres/);
  assert.ok(await healthy(), "healthy again through the pooler");
});

test("a stale functions pid file is ignored and the server restarted", async () => {
  const pid = readPid(c.functionsPid);
  process.kill(-pid, "SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(c.functionsPid, "999999");
  const r = stackCmd("start");
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /serving edge functions/);
  assert.ok(await healthy());
});

test("a port taken by another program gives a clear error naming it", async () => {
  const pid = readPid(c.pgbouncerPid);
  process.kill(pid, "SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  const squatter = createServer().listen(c.ports.pooler, "127.0.0.1");
  await new Promise((r) => squatter.once("listening", r));
  try {
    const r = stackCmd("start");
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`port ${c.ports.pooler} \\(pooler\\) is taken`));
  } finally {
    await new Promise((r) => squatter.close(r));
  }
  const r = stackCmd("start");
  assert.equal(r.code, 0, r.out);
  assert.ok(await healthy());
});

test("a failing migration is named with its error, exits non-zero and leaves nothing applied", () => {
  const dir = mkdtempSync(join(tmpdir(), "cryo-migr-"));
  try {
    cpSync(join(ROOT, "supabase"), join(dir, "supabase"), { recursive: true });
    writeFileSync(join(dir, "supabase/migrations/29991231000000_broken.sql"),
      "create table public.half_written (id int);\nselect no_such_column from no_such_table;\n");
    const r = stackCmd("start", { CRYO_SUPABASE_WORKDIR: dir });
    assert.equal(r.code, 1);
    assert.match(r.out, /migration failed: supabase\/migrations\/29991231000000_broken\.sql/);
    assert.match(r.out, /no_such_table/);
    const q = spawnSync("psql", ["-X", "-At", "-h", c.run, "-p", String(c.ports.db), "-U", "supabase_admin", "-d", "postgres",
      "-c", "select to_regclass('public.half_written') is null"], { encoding: "utf8" });
    assert.equal(q.stdout.trim(), "t", "the failed migration's first statement was rolled back");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a cluster made with other ports (another CRYO_PORT_OFFSET, an old clone's data) starts on the configured ones", async () => {
  const other = String(Number(process.env.CRYO_PORT_OFFSET || 0) + 7);
  assert.equal(stackCmd("stop").code, 0);
  const r1 = stackCmd("start", { CRYO_PORT_OFFSET: other });
  assert.equal(r1.code, 0, r1.out);
  assert.equal(stackCmd("stop", { CRYO_PORT_OFFSET: other }).code, 0);
  const r2 = stackCmd("start");
  assert.equal(r2.code, 0, r2.out);
  assert.doesNotMatch(r2.out, /creating cluster/, "the existing cluster was reused");
  assert.ok(await healthy(), "healthy on the configured ports");
});
