import assert from "node:assert/strict";
import { FUNCTIONS_URL } from "./_helpers.ts";

Deno.test("GET /health answers 200 after a database round trip through the pooler", async () => {
  const r = await fetch(`${FUNCTIONS_URL}/health`);
  const body = await r.json();
  assert.equal(r.status, 200);
  assert.equal(body.status, "ok");
  assert.equal(body.database.reachable, true);
  assert.match(body.database.server_version, /^15\./);
  assert.equal(typeof body.database.latency_ms, "number");
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
});
