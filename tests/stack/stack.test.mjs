// The local stack in bad states. Runs against the test stack (CRYO_STACK=test), last in `npm test`,
// because it stops and breaks pieces of it on purpose; every test leaves the stack healthy again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";

/** Whether a port can be bound on 127.0.0.1 now (not listened on, and not held as a connection's source port). */
function bindable(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { readPid } from "../../scripts/lib/proc.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");

function stackCmd(cmd, env = {}, ...args) {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/stack.mjs"), cmd, ...args], {
    encoding: "utf8",
    env: { ...process.env, CRYO_STACK: "test", ...env },
  });
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
  assert.doesNotMatch(
    r.out,
    /creating cluster|applied \d+ migration|starting Postgres|starting pgbouncer|serving edge functions|building the web app|serving the web app/,
  );
  assert.equal(readPid(c.functionsPid), before, "the functions server kept running");
  assert.ok(await healthy());
});

test("status -o json prints the connection facts like `supabase status -o json`", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/stack.mjs"), "status", "-o", "json"], {
    encoding: "utf8",
    env: { ...process.env, CRYO_STACK: "test" },
  });
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  for (const k of ["API_URL", "DB_URL", "POOLER_URL", "FUNCTIONS_URL", "WEB_URL", "ANON_KEY"]) {
    assert.ok(s[k], `${k} is set`);
  }
  assert.equal(s.POOLER_URL.includes(`:${c.ports.pooler}/`), true);
  assert.deepEqual(s.RUNNING, { db: true, pooler: true, functions: true, web: true });
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

// A client socket holding `port` as its source port, as the kernel makes them (no SO_REUSEADDR), connected to
// `peer`; closed with a reset on any line on stdin (so it leaves no TIME_WAIT behind, which would block too).
const HOLD_PORT_PY = `
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
s.connect(("127.0.0.1", int(sys.argv[2])))
print("held", flush=True)
sys.stdin.readline()
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
`;
const hasPython = spawnSync("python3", ["--version"]).status === 0;

test(
  "the stack's ports are kept out of the ephemeral range, and a clash with a connection's source port is named at once",
  { skip: !hasPython && "needs python3" },
  async () => {
    // The cause of the crashed-Postgres flake: the stack's ports lie in Linux's ephemeral range, so an outgoing
    // connection (or its TIME_WAIT) could hold one as its source port, and the functions server restarted by
    // `start` could not bind it: it died with AddrInUse and start waited a minute for it.
    if (process.getuid?.() === 0) {
      const reserved = readFileSync("/proc/sys/net/ipv4/ip_local_reserved_ports", "utf8").trim().split(",");
      const inRange = (p) =>
        reserved.some((r) => {
          const [a, b = a] = r.split("-").map(Number);
          return p >= a && p <= b;
        });
      for (const p of Object.values(c.ports)) assert.ok(inRange(p), `port ${p} is reserved`);
    }
    const pid = readPid(c.functionsPid);
    process.kill(-pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    // Reservation only stops the kernel from choosing the port; an explicit bind still can, as here.
    const holder = spawn("python3", ["-c", HOLD_PORT_PY, String(c.ports.api), String(c.ports.pooler)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    await new Promise((resolve, reject) => {
      holder.stdout.once("data", resolve);
      holder.once("exit", reject);
    });
    try {
      const t = Date.now();
      const r = stackCmd("start");
      assert.equal(r.code, 1);
      assert.match(r.out, new RegExp(`the functions server exited .*before serving:\\nport ${c.ports.api} is in use`));
      assert.match(r.out, /AddrInUse/);
      assert.ok(Date.now() - t < 30000, "reported at once, not after the minute of health checks");
    } finally {
      holder.stdin.end("close\n");
      await new Promise((r) => holder.once("exit", r));
    }
    const r = stackCmd("start");
    assert.equal(r.code, 0, r.out);
    assert.ok(await healthy());
  },
);

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
    writeFileSync(
      join(dir, "supabase/migrations/29991231000000_broken.sql"),
      "create table public.half_written (id int);\nselect no_such_column from no_such_table;\n",
    );
    const r = stackCmd("start", { CRYO_SUPABASE_WORKDIR: dir });
    assert.equal(r.code, 1);
    assert.match(r.out, /migration failed: supabase\/migrations\/29991231000000_broken\.sql/);
    assert.match(r.out, /no_such_table/);
    const q = spawnSync("psql", [
      "-X",
      "-At",
      "-h",
      c.run,
      "-p",
      String(c.ports.db),
      "-U",
      "supabase_admin",
      "-d",
      "postgres",
      "-c",
      "select to_regclass('public.half_written') is null",
    ], { encoding: "utf8" });
    assert.equal(q.stdout.trim(), "t", "the failed migration's first statement was rolled back");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a cluster made with other ports (another CRYO_PORT_OFFSET, an old clone's data) starts on the configured ones", async () => {
  // An offset whose three ports can be bound right now: on a busy machine a connection may hold one of them
  // as its source port (the stack reserves its ports only once it starts on them).
  const base = Number(process.env.CRYO_PORT_OFFSET || 0);
  let other;
  for (let k = 7; k < 400 && other === undefined; k += 13) {
    const p = stackConfig("test");
    const ports = [p.ports.api + k, p.ports.db + k, p.ports.pooler + k];
    if ((await Promise.all(ports.map(bindable))).every(Boolean)) other = String(base + k);
  }
  assert.ok(other, "a free port offset was found");
  assert.equal(stackCmd("stop").code, 0);
  const r1 = stackCmd("start", { CRYO_PORT_OFFSET: other });
  assert.equal(r1.code, 0, r1.out);
  assert.equal(stackCmd("stop", { CRYO_PORT_OFFSET: other }).code, 0);
  const r2 = stackCmd("start");
  assert.equal(r2.code, 0, r2.out);
  assert.doesNotMatch(r2.out, /creating cluster/, "the existing cluster was reused");
  assert.ok(await healthy(), "healthy on the configured ports");
});
