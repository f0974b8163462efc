// The health function. In-process through its app factory (`createHealthApp(deps).request()`) against the test
// stack's pooler or a dead port; over HTTP through the local gateway only for what needs the gateway (routing
// to the function, a 404 for a function that does not exist) or the loaded index.ts.
import assert from "node:assert/strict";
import { adminSql, FUNCTIONS_URL, POOLER_URL } from "./_helpers.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database } from "../supabase/functions/_shared/db.ts";
import { createHealthApp } from "../supabase/functions/health/app.ts";
import { createClient, getToken } from "./_tokens.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The health app on its own Database (pooler of the test stack unless `url`), ended after `fn`. */
async function withHealthApp(
  fn: (app: ReturnType<typeof createHealthApp>, db: Database) => Promise<void>,
  { url = POOLER_URL, logLevel = "error" } = {},
) {
  const db = new Database(loadConfig({ CRYO_ENV: "local", CRYO_LOG_LEVEL: logLevel, CRYO_DB_URL: url }));
  try {
    await fn(createHealthApp({ database: () => db, env: {} }), db);
  } finally {
    await db.end();
  }
}

Deno.test("over HTTP: GET /functions/v1/health answers 200 after a database round trip through the pooler", async () => {
  const r = await fetch(`${FUNCTIONS_URL}/health`);
  const body = await r.json();
  assert.equal(r.status, 200);
  assert.equal(body.status, "ok");
  assert.equal(body.database.reachable, true);
  assert.equal(typeof body.database.latency_ms, "number");
});

Deno.test("over HTTP: unknown paths and unknown functions get a 404 with a machine-readable code", async () => {
  for (const path of ["/health/nope", "/no-such-function"]) {
    const r = await fetch(`${FUNCTIONS_URL}${path}`);
    assert.equal(r.status, 404, path);
    assert.equal((await r.json()).error.code, "NOT_FOUND", path);
  }
});

Deno.test({
  name: "GET /health tells nobody the server version",
  ...opts,
  fn: () =>
    withHealthApp(async (app) => {
      const admin = adminSql();
      const [{ server_version }] = await admin`show server_version`;
      await admin.end();
      const r = await app.request("/health");
      assert.equal(r.status, 200);
      const text = await r.text();
      assert.ok(!text.includes(server_version.split(" ")[0]), `${server_version} is not in ${text}`);
      assert.doesNotMatch(text, /server_version|PostgreSQL/);
    }),
});

Deno.test({
  name:
    "GET /health answers 503 DB_UNAVAILABLE with Retry-After when the pooler is unreachable; the cause is logged only",
  ...opts,
  fn: () =>
    withHealthApp(async (app) => {
      const logged: string[] = [];
      const consoleError = console.error;
      console.error = (...args: unknown[]) => logged.push(args.join(" "));
      let r: Response;
      try {
        r = await app.request("/health");
      } finally {
        console.error = consoleError;
      }
      const body = await r.json();
      assert.equal(r.status, 503);
      assert.equal(body.error.code, "DB_UNAVAILABLE");
      assert.equal(r.headers.get("retry-after"), "5");
      assert.equal(typeof body.pool.max, "number", "the pool summary still says what the isolate holds");
      // The cause (ECONNREFUSED 127.0.0.1:9 or the like) is in the function's log, never in the body.
      assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1|ECONNREFUSED|:9\b|connect /);
      assert.ok(logged.some((l) => /health: database unreachable/.test(l)), "the details went to the log");
    }, { url: "postgresql://cryo_api:x@127.0.0.1:9/postgres", logLevel: "warn" }),
});

Deno.test({
  name: "GET /health carries a pool summary; /health/ping answers; /health/metrics refuses a caller without a token",
  ...opts,
  fn: () =>
    withHealthApp(async (app) => {
      const h = await (await app.request("/health")).json();
      assert.equal(typeof h.pool.max, "number");
      assert.equal(h.pool.breaker, "closed");
      assert.deepEqual(await (await app.request("/health/ping")).json(), { ok: true });
      // Metrics need a service token with metrics:read; in-process the app has no keys, so it refuses.
      const denied = await app.request("/health/metrics");
      assert.equal(denied.status, 401);
      assert.match(denied.headers.get("www-authenticate") ?? "", /^Bearer/);
    }),
});

Deno.test("a probe takes no parameters: an unexpected one is 400 INVALID_INPUT naming it, before any database work", async () => {
  let opened = 0;
  const app = createHealthApp({
    database: () => {
      opened++;
      throw new Error("the database must not be reached");
    },
    env: {},
  });
  for (const path of ["/health?verbose=1", "/health/ping?role=service_role", "/health/metrics?x="]) {
    const r = await app.request(path);
    const body = await r.json();
    assert.equal(r.status, 400, path);
    assert.equal(body.error.code, "INVALID_INPUT", path);
    assert.equal(body.error.details[0].target, "query", path);
    assert.match(body.error.message, /verbose|role|"x"/, path);
  }
  assert.equal(opened, 0);
});

Deno.test("benchmark-only routes are not part of the function", async () => {
  const app = createHealthApp({
    database: () => {
      throw new Error("no route reaches the database here");
    },
    env: {},
  });
  for (const path of ["/health/slow?ms=1", "/health/ping-pipelined"]) {
    assert.equal((await app.request(path)).status, 404, path);
  }
});

Deno.test("the function refuses to load in production with the direct database URL", async () => {
  // index.ts validates the environment at load; in its own process, since loading is once per isolate.
  const script = `
    try {
      await import(${JSON.stringify(new URL("../supabase/functions/health/index.ts", import.meta.url).href)});
      console.log(JSON.stringify({ loaded: true }));
    } catch (e) { console.log(JSON.stringify({ loadError: String(e.message) })); }
    Deno.exit(0);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, script],
    env: { CRYO_DB_URL: "postgresql://postgres:x@db.abcdefghij.supabase.co:5432/postgres" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const res = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  assert.match(res.loadError, /CRYO_DB_URL: looks like the direct connection/);
});

Deno.test(
  "/health/metrics answers a metrics:read service token with Prometheus text and the pool metrics",
  opts,
  async () => {
    const token = await getToken(await createClient("Alpha", "metrics:read"));
    const r = await fetch(`${FUNCTIONS_URL}/health/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await r.text();
    for (
      const name of [
        "cryo_db_acquire_seconds_bucket",
        "cryo_db_transaction_seconds_count",
        "cryo_db_pool_in_use",
        "cryo_db_pool_idle",
        "cryo_db_pool_waiting",
        "cryo_db_breaker_state",
      ]
    ) {
      assert.match(text, new RegExp(`^${name}`, "m"), name);
    }
  },
);
