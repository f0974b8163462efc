// HTTP basics every function gets from _shared/http.ts: CORS for browser clients, a trailing slash
// tolerated, per-caller fairness (429 RATE_LIMITED with Retry-After), 5xx bodies without internals.
// Against the running functions server (the test stack), and in-process for configuration.
import assert from "node:assert/strict";
import { FUNCTIONS_URL } from "./_helpers.ts";
import { CORS_ALLOW_HEADERS, corsOrigins } from "../supabase/functions/_shared/cors.ts";
import { createApp } from "../supabase/functions/_shared/http.ts";
import { rateLimitConfig } from "../supabase/functions/_shared/ratelimit.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";

const ORIGIN = "https://app.example.org";

Deno.test("a CORS preflight is answered 204 with the allowed origin, methods and supabase-js headers", async () => {
  const r = await fetch(`${FUNCTIONS_URL}/health`, {
    method: "OPTIONS",
    headers: {
      origin: ORIGIN,
      "access-control-request-method": "GET",
      "access-control-request-headers": "authorization, x-client-info, apikey, content-type",
    },
  });
  await r.body?.cancel();
  assert.equal(r.status, 204);
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  assert.match(r.headers.get("access-control-allow-methods") ?? "", /\bGET\b/);
  const allowed = (r.headers.get("access-control-allow-headers") ?? "").split(",").map((h) => h.trim().toLowerCase());
  for (const h of CORS_ALLOW_HEADERS) assert.ok(allowed.includes(h), `${h} is allowed`);
});

Deno.test("every response carries Access-Control-Allow-Origin: success, 404, 400 (bad input) and unknown functions", async () => {
  const cases: [string, number][] = [
    ["/health", 200],
    ["/health/ping", 200],
    ["/health/nope", 404],
    ["/health?unexpected=1", 400],
    ["/no-such-function", 404],
  ];
  for (const [path, status] of cases) {
    const r = await fetch(`${FUNCTIONS_URL}${path}`, { headers: { origin: ORIGIN } });
    await r.body?.cancel();
    assert.equal(r.status, status, path);
    assert.equal(r.headers.get("access-control-allow-origin"), "*", `${path} (${r.status})`);
  }
});

Deno.test("a trailing slash is the same route", async () => {
  for (const path of ["/health/", "/health/ping/"]) {
    const r = await fetch(`${FUNCTIONS_URL}${path}`);
    assert.equal(r.status, 200, path);
    await r.body?.cancel();
  }
});

Deno.test("origins are configurable (CRYO_CORS_ORIGINS): a listed origin is echoed, another is not; a bad entry refuses to load", async () => {
  const app = createApp("/x", { CRYO_CORS_ORIGINS: `${ORIGIN}, http://localhost:3000` });
  app.get("/", (c) => c.json({ ok: true }));
  const ok = await app.fetch(new Request("http://f/x", { headers: { origin: ORIGIN } }));
  assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
  const other = await app.fetch(new Request("http://f/x", { headers: { origin: "https://evil.example" } }));
  assert.notEqual(other.headers.get("access-control-allow-origin"), "https://evil.example");
  assert.equal(corsOrigins({}), "*");
  assert.throws(() => corsOrigins({ CRYO_CORS_ORIGINS: "app.example.org" }), /not an origin/);
  assert.throws(() => corsOrigins({ CRYO_CORS_ORIGINS: "https://app.example.org/path" }), /not an origin/);
});

Deno.test("5xx responses keep code and Retry-After but no internal detail; 4xx keep their message", async () => {
  const app = createApp("/x", {});
  app.get("/down", () => {
    throw new ApiError(503, "DB_UNAVAILABLE", "cannot connect: connect ECONNREFUSED 10.0.0.7:6543", undefined, {
      "Retry-After": "2",
    });
  });
  app.get("/bad", () => {
    throw new ApiError(400, "INVALID_INPUT", "limit must be a number");
  });
  const down = await app.fetch(new Request("http://f/x/down", { headers: { origin: ORIGIN } }));
  const body = await down.json();
  assert.equal(down.status, 503);
  assert.equal(body.error.code, "DB_UNAVAILABLE");
  assert.equal(down.headers.get("retry-after"), "2");
  assert.equal(down.headers.get("access-control-allow-origin"), "*");
  assert.doesNotMatch(JSON.stringify(body), /10\.0\.0\.7|ECONNREFUSED|6543/);
  const bad = await app.fetch(new Request("http://f/x/bad"));
  assert.equal((await bad.json()).error.message, "limit must be a number");
});

Deno.test({
  name:
    "the caller key is a verified identity, else the first x-forwarded-for hop; apikeys and unverified tokens do not make callers (in-process, limit 3)",
  sanitizeOps: false, // the limiter's window timers outlive the test
  sanitizeResources: false,
  fn: async () => {
    const app = createApp("/x", { CRYO_RATE_LIMIT_POINTS: "3", CRYO_RATE_LIMIT_WINDOW_S: "60" });
    app.get("/", (c) => c.json({ ok: true }));
    const hit = async (headers: Record<string, string>) =>
      (await app.fetch(new Request("http://f/x", { headers }))).status;
    const burst = async (headers: Record<string, string>) => {
      const out = [];
      for (let i = 0; i < 4; i++) out.push(await hit(headers));
      return out;
    };
    assert.deepEqual(await burst({ "x-forwarded-for": "198.51.100.1, 10.0.0.1" }), [200, 200, 200, 429]);
    assert.equal(await hit({ "x-forwarded-for": "198.51.100.1, 10.0.0.2" }), 429, "the first hop is the caller");
    // A token this isolate cannot verify, or another apikey, is the same caller as its address.
    assert.equal(await hit({ authorization: "Bearer made-up", "x-forwarded-for": "198.51.100.1" }), 429);
    assert.equal(await hit({ apikey: "key-2", "x-forwarded-for": "198.51.100.1" }), 429);
    assert.deepEqual(await burst({ apikey: "key-1", "x-forwarded-for": "198.51.100.2" }), [200, 200, 200, 429]);
    assert.equal(await hit({ "x-forwarded-for": "198.51.100.3" }), 200, "another address is another caller");
    const r = await app.fetch(
      new Request("http://f/x", { headers: { "x-forwarded-for": "198.51.100.2", origin: ORIGIN } }),
    );
    const body = await r.json();
    assert.equal(r.status, 429);
    assert.equal(body.error.code, "RATE_LIMITED");
    assert.ok(Number(r.headers.get("retry-after")) >= 1, "Retry-After in seconds");
    assert.equal(r.headers.get("access-control-allow-origin"), "*", "a 429 carries CORS too");
    // Preflights are not counted against the caller.
    const pre = await app.fetch(
      new Request("http://f/x", {
        method: "OPTIONS",
        headers: { "x-forwarded-for": "198.51.100.2", origin: ORIGIN, "access-control-request-method": "GET" },
      }),
    );
    assert.equal(pre.status, 204);
  },
});

Deno.test({
  name: "a caller has at most CRYO_RATE_LIMIT_CONCURRENCY requests in flight; finished ones give their place back",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const app = createApp("/x", { CRYO_RATE_LIMIT_POINTS: "1000", CRYO_RATE_LIMIT_CONCURRENCY: "2" });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    app.get("/slow", async (c) => {
      await gate;
      return c.json({ ok: true });
    });
    const req = (addr: string) => app.fetch(new Request("http://f/x/slow", { headers: { "x-forwarded-for": addr } }));
    const held = [req("192.0.2.1"), req("192.0.2.1")];
    const third = await req("192.0.2.1");
    assert.equal(third.status, 429);
    assert.equal((await third.json()).error.code, "RATE_LIMITED");
    const other = req("192.0.2.2"); // another caller is not affected
    release();
    assert.deepEqual((await Promise.all([...held, other])).map((r) => r.status), [200, 200, 200]);
    assert.equal((await req("192.0.2.1")).status, 200, "places given back");
  },
});

Deno.test("rate-limit settings: defaults, 0 turns it off, bad values are refused", () => {
  assert.deepEqual(rateLimitConfig({}), { points: 300, windowS: 1, concurrency: 16 });
  assert.deepEqual(rateLimitConfig({ CRYO_RATE_LIMIT_POINTS: "0" }), { points: 0, windowS: 1, concurrency: 16 });
  assert.throws(() => rateLimitConfig({ CRYO_RATE_LIMIT_CONCURRENCY: "0" }), /CRYO_RATE_LIMIT_CONCURRENCY/);
  assert.throws(() => rateLimitConfig({ CRYO_RATE_LIMIT_POINTS: "-1" }), /CRYO_RATE_LIMIT_POINTS/);
  assert.throws(() => rateLimitConfig({ CRYO_RATE_LIMIT_WINDOW_S: "0" }), /CRYO_RATE_LIMIT_WINDOW_S/);
});

Deno.test("one caller at high concurrency gets 429s while another caller's requests keep succeeding", async () => {
  const tag = crypto.randomUUID();
  // Two addresses as the platform's gateway would forward them (the local gateway passes the header on).
  const octet = () => 1 + Math.floor(Math.random() * 250);
  const greedy = { "x-forwarded-for": `198.18.${octet()}.${octet()}`, "x-tag": tag };
  const polite = { "x-forwarded-for": `198.19.${octet()}.${octet()}` };
  const call = async (headers: Record<string, string>) => {
    const r = await fetch(`${FUNCTIONS_URL}/health/ping`, { headers });
    const body = await r.json();
    return { status: r.status, code: body.error?.code, retryAfter: r.headers.get("retry-after") };
  };
  // 1,200 requests at once from one caller (defaults: 300 a second and 16 at once per caller) ...
  const flood = Promise.all(Array.from({ length: 1200 }, () => call(greedy)));
  // ... while another caller asks, one request at a time.
  const politeResults = [];
  for (let i = 0; i < 15; i++) politeResults.push(await call(polite));
  const greedyResults = await flood;
  const limited = greedyResults.filter((r) => r.status === 429);
  assert.ok(limited.length > 0, "the greedy caller was limited");
  for (const r of limited) {
    assert.equal(r.code, "RATE_LIMITED");
    assert.ok(Number(r.retryAfter) >= 1);
  }
  assert.ok(greedyResults.some((r) => r.status === 200), "within its limit the greedy caller is served");
  assert.deepEqual(
    politeResults.map((r) => r.status),
    politeResults.map(() => 200),
    "the other caller is served every time",
  );
});
