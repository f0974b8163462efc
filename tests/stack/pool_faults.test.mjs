// The database module of the running functions server under real faults: Postgres stopped and started,
// pgbouncer stopped and started, with nothing restarted on the functions side. Runs against the test stack
// (CRYO_STACK=test) in the `stack` suite, last, and leaves every piece running again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stackConfig } from "../../scripts/lib/config.mjs";
import { asPostgres, readPid, sleep } from "../../scripts/lib/proc.mjs";
import { pgCtl } from "../../scripts/lib/postgres.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");
// The server's request deadline (CRYO_DB_REQUEST_TIMEOUT_MS default) plus slack for a loaded machine.
const DEADLINE_BOUND_MS = 5000 + 1500;

async function ping() {
  const t = performance.now();
  const r = await fetch(`${c.functionsUrl}/health/ping`, { signal: AbortSignal.timeout(30000) });
  const body = await r.json();
  return {
    status: r.status,
    code: body.error?.code,
    retryAfter: r.headers.get("retry-after"),
    ms: performance.now() - t,
  };
}

async function untilOk(boundMs) {
  const t = performance.now();
  while (performance.now() - t < boundMs) {
    const r = await ping().catch(() => null);
    if (r?.status === 200) return performance.now() - t;
    await sleep(100);
  }
  return null;
}

function startPostgres() {
  const r = asPostgres(pgCtl.bin, pgCtl.start(c));
  assert.equal(r.status, 0, r.stderr);
}

/** A service token with metrics:read (/health/metrics needs one), made while the database is up. */
async function newMetricsToken() {
  const { run } = await import("../../scripts/service-client.mjs");
  const client = await run(["create", "--team", "Alpha", "--name", "pool-faults", "--scope", "metrics:read"], c);
  const r = await fetch(`${c.functionsUrl}/service-token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.client_id,
      client_secret: client.client_secret,
    }),
  });
  assert.equal(r.status, 200);
  return (await r.json()).access_token;
}

test("Postgres stopped: the breaker opens, requests fail fast with 503, nothing hangs; it recovers by itself", async () => {
  const metricsToken = await newMetricsToken();
  const fnPid = readPid(c.functionsPid);
  assert.equal((await ping()).status, 200);
  const stop = asPostgres(pgCtl.bin, pgCtl.stop(c));
  assert.equal(stop.status, 0, stop.stderr);
  try {
    let open = null;
    for (let i = 0; i < 20 && !open; i++) {
      const r = await ping();
      assert.equal(r.status >= 503 && r.status <= 504, true, `503/504 while Postgres is down (got ${r.status})`);
      assert.ok(r.ms < DEADLINE_BOUND_MS, `no request hangs past its deadline (${r.ms.toFixed(0)} ms)`);
      if (r.code === "DB_CIRCUIT_OPEN") open = r;
    }
    assert.ok(open, "the breaker opened");
    assert.ok(Number(open.retryAfter) >= 1, "with Retry-After");
    const fast = await Promise.all(Array.from({ length: 5 }, ping));
    for (const r of fast) {
      assert.equal(r.status, 503);
      assert.equal(r.code, "DB_CIRCUIT_OPEN");
      assert.ok(r.ms < 1000, `failed fast (${r.ms.toFixed(1)} ms)`);
    }
    const metrics =
      await (await fetch(`${c.functionsUrl}/health/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } }))
        .text();
    assert.match(metrics, /cryo_db_breaker_transitions_total\{to="open"\} [1-9]/);
    const health = await fetch(`${c.functionsUrl}/health`);
    assert.equal(health.status, 503);
    assert.equal((await health.json()).pool.breaker !== "closed", true);
  } finally {
    startPostgres();
  }
  const recovered = await untilOk(20000);
  assert.ok(recovered !== null, "answers 200 again without any restart");
  assert.equal(readPid(c.functionsPid), fnPid, "the functions server was not restarted");
  const h = await (await fetch(`${c.functionsUrl}/health`)).json();
  assert.equal(h.pool.breaker, "closed");
});

test("pgbouncer stopped and started: requests fail fast meanwhile, then the service recovers by itself", async () => {
  const fnPid = readPid(c.functionsPid);
  const pidFile = c.pgbouncerPid;
  process.kill(readPid(pidFile), "SIGTERM");
  await sleep(300);
  try {
    for (let i = 0; i < 5; i++) {
      const r = await ping();
      assert.equal(r.status, 503);
      assert.ok(r.ms < DEADLINE_BOUND_MS, `no hang (${r.ms.toFixed(0)} ms)`);
    }
  } finally {
    const r = asPostgres("pgbouncer", ["-d", c.pgbouncerIni]);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.ok(await untilOk(20000) !== null, "answers 200 again");
  assert.equal(readPid(c.functionsPid), fnPid, "the functions server was not restarted");
});
