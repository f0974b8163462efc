// The load scenarios' routes live in the benchmark harness (scripts/load/bench-routes.ts), not in a function:
// the local gateway serves them at /functions/v1/bench/* when CRYO_BENCH_ROUTES=1 (the stack sets it), through
// the same database module as the functions, and without the switch they do not exist. Against the test stack.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { readSecrets, ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { functionsEnv, functionsServerCommand } from "../../scripts/lib/functions.mjs";
import { waitFor } from "../../scripts/lib/proc.mjs";
import { scrape } from "../../scripts/load/metrics.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");

/** The functions' pool acquisitions so far (/health/metrics, read with a metrics:read service token). */
async function acquisitions() {
  return Number((await scrape(c))["cryo_db_acquire_seconds_count"] ?? NaN);
}

test("bench/slow holds a pooled connection for ms, through the functions' database module", async () => {
  const before = await acquisitions();
  const t = performance.now();
  const r = await fetch(`${c.functionsUrl}/bench/slow?ms=300`);
  const ms = performance.now() - t;
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { slept_ms: 300 });
  assert.ok(ms >= 300, `answered after the sleep (${ms.toFixed(0)} ms)`);
  assert.ok(await acquisitions() > before, "the module's pool counted the acquisition");
});

test("bench/slow refuses a bad ms with 400 INVALID_INPUT, never a 500", async () => {
  for (const q of ["-1", "60001", "abc"]) {
    const r = await fetch(`${c.functionsUrl}/bench/slow?ms=${q}`);
    assert.equal(r.status, 400, q);
    assert.equal((await r.json()).error.code, "INVALID_INPUT", q);
  }
});

test("bench/ping-pipelined runs the ping transaction in the extended protocol", async () => {
  const r = await fetch(`${c.functionsUrl}/bench/ping-pipelined`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { ok: true });
});

test("without CRYO_BENCH_ROUTES=1 the gateway has no bench routes (the functions alone)", async () => {
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  const env = {
    ...process.env,
    ...functionsEnv(c, readSecrets(c)),
    CRYO_FUNCTIONS_PORT: String(port),
    CRYO_BENCH_ROUTES: "0",
  };
  const child = spawn(...functionsServerCommand(), { cwd: ROOT, env, stdio: "ignore" });
  const base = `http://127.0.0.1:${port}/functions/v1`;
  try {
    assert.ok(
      await waitFor(() => fetch(`${base}/health`).then((r) => r.ok, () => false), 30000, 200),
      "the gateway serves",
    );
    for (const path of ["/bench/slow?ms=1", "/bench/ping-pipelined"]) {
      const r = await fetch(`${base}${path}`);
      assert.equal(r.status, 404, path);
      assert.equal((await r.json()).error.code, "NOT_FOUND", path);
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
});
