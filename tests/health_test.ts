import assert from "node:assert/strict";
import { adminSql, FUNCTIONS_URL } from "./_helpers.ts";
import { createClient, getToken } from "./_tokens.ts";

Deno.test("GET /health answers 200 after a database round trip through the pooler", async () => {
  const r = await fetch(`${FUNCTIONS_URL}/health`);
  const body = await r.json();
  assert.equal(r.status, 200);
  assert.equal(body.status, "ok");
  assert.equal(body.database.reachable, true);
  assert.equal(typeof body.database.latency_ms, "number");
});

Deno.test("GET /health tells nobody the server version", async () => {
  const admin = adminSql();
  const [{ server_version }] = await admin`show server_version`;
  await admin.end();
  const text = await (await fetch(`${FUNCTIONS_URL}/health`)).text();
  assert.ok(!text.includes(server_version.split(" ")[0]), `${server_version} is not in ${text}`);
  assert.doesNotMatch(text, /server_version|PostgreSQL/);
});

Deno.test("unknown paths get a 404 with a machine-readable code", async () => {
  const r = await fetch(`${FUNCTIONS_URL}/health/nope`);
  assert.equal(r.status, 404);
  assert.equal((await r.json()).error.code, "NOT_FOUND");
  const r2 = await fetch(`${FUNCTIONS_URL}/no-such-function`);
  assert.equal(r2.status, 404);
  assert.equal((await r2.json()).error.code, "NOT_FOUND");
});

Deno.test("GET /health answers 503 DB_UNAVAILABLE, fast, when the pooler is unreachable", async () => {
  // The function in its own process, pointed at a port nothing listens on.
  const script = `
    const mod = await import(${JSON.stringify(new URL("../supabase/functions/health/index.ts", import.meta.url).href)});
    const t = performance.now();
    const r = await mod.default.fetch(new Request("http://x/health"));
    console.log(JSON.stringify({ status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.json(), ms: performance.now() - t }));
    Deno.exit(0);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, script],
    env: { CRYO_DB_URL: "postgresql://cryo_api:x@127.0.0.1:9/postgres" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
  const res = JSON.parse(line);
  assert.equal(res.status, 503);
  assert.equal(res.body.error.code, "DB_UNAVAILABLE");
  assert.equal(res.retryAfter, "5");
  // The cause (ECONNREFUSED 127.0.0.1:9 or the like) is in the function's log, never in the body.
  const body = JSON.stringify(res.body);
  assert.doesNotMatch(body, /127\.0\.0\.1|ECONNREFUSED|:9\b|connect /);
  assert.match(new TextDecoder().decode(out.stderr), /health: database unreachable/, "the details went to the log");
});

Deno.test("GET /health carries a pool summary; /health/metrics is Prometheus text with the pool metrics", async () => {
  const h = await (await fetch(`${FUNCTIONS_URL}/health`)).json();
  assert.equal(typeof h.pool.max, "number");
  assert.equal(h.pool.breaker, "closed");
  assert.equal((await (await fetch(`${FUNCTIONS_URL}/health/ping`)).json()).ok, true);
  // Metrics need a service token with metrics:read (tests/forged_tokens_test.ts: everything else is refused).
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
});

Deno.test("production mode: the slow-query route does not exist and a direct URL stops the function loading", async () => {
  const run = async (env: Record<string, string>, path: string) => {
    const script = `
      try {
        const mod = await import(${
      JSON.stringify(new URL("../supabase/functions/health/index.ts", import.meta.url).href)
    });
        const r = await mod.default.fetch(new Request("http://x${path}"));
        console.log(JSON.stringify({ status: r.status, body: await r.json() }));
      } catch (e) { console.log(JSON.stringify({ loadError: String(e.message) })); }
      Deno.exit(0);`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, script],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  };
  const slow = await run({ CRYO_DB_URL: "postgresql://cryo_api:x@127.0.0.1:6543/postgres" }, "/health/slow?ms=1");
  assert.equal(slow.status, 404);
  const direct = await run(
    { CRYO_DB_URL: "postgresql://postgres:x@db.abcdefghij.supabase.co:5432/postgres" },
    "/health",
  );
  assert.match(direct.loadError, /CRYO_DB_URL: looks like the direct connection/);
});
