// Scenarios of the token client (supabase/functions/_shared/token-client.mjs), run by Node
// (tests/unit/token-client.test.mjs) and by Deno (tests/token_client_test.ts): the same file, both runtimes.
// A fake token endpoint (a fetch function) and a fake clock; the real endpoint is tested in both runners too.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { TokenClient, TokenError } from "../../supabase/functions/_shared/token-client.mjs";

const SECRET = "cps_very-secret-value-0123456789";

function fakeEndpoint(answers) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const a = answers.length > 1 ? answers.shift() : answers[0];
    if (a === "network") throw new TypeError("fetch failed");
    const body = typeof a.body === "function" ? a.body(calls.length) : a.body;
    return new Response(JSON.stringify(body), { status: a.status, headers: { "content-type": "application/json" } });
  };
  return { fetch, calls };
}

const ok = (n = 1, expires_in = 900) => ({
  status: 200,
  body: { access_token: `tok${n}`, token_type: "Bearer", expires_in, scope: "molecules:read" },
});

function client(fetch, extra = {}) {
  const logs = [];
  let now = 1_000_000;
  const c = new TokenClient({
    tokenUrl: "http://token.test/service-token",
    clientId: "cpc_abc",
    clientSecret: SECRET,
    fetch,
    now: () => now,
    random: () => 0.5,
    initialDelayMs: 1,
    maxDelayMs: 2,
    log: (...a) => logs.push(a),
    ...extra,
  });
  return { c, logs, advance: (ms) => (now += ms), at: () => now };
}

export const scenarios = [
  ["caches the token and refreshes it before expiry, with jitter", async () => {
    const ep = fakeEndpoint([{ status: 200, body: (n) => ok(n).body }]);
    const { c, advance } = client(ep.fetch);
    assert.equal(await c.getToken(), "tok1");
    const init = ep.calls[0].init;
    assert.equal(init.method, "POST");
    assert.match(init.headers.authorization, /^Basic /);
    assert.equal(init.body, "grant_type=client_credentials");
    advance((900 - 60 - 15 - 1) * 1000); // just before refresh: 60 s + jitter 0.5 × 30 s before expiry
    assert.equal(await c.getToken(), "tok1");
    assert.equal(ep.calls.length, 1);
    advance(2000);
    assert.equal(await c.getToken(), "tok2", "refreshed before it expired");
    assert.equal(ep.calls.length, 2);
  }],
  ["concurrent callers share one request", async () => {
    const ep = fakeEndpoint([ok()]);
    const { c } = client(ep.fetch);
    const all = await Promise.all(Array.from({ length: 10 }, () => c.getToken()));
    assert.deepEqual(new Set(all), new Set(["tok1"]));
    assert.equal(ep.calls.length, 1);
  }],
  ["retries transient failures (network, 503, 429) with backoff, then succeeds", async () => {
    const ep = fakeEndpoint(["network", { status: 503, body: { error: "temporarily_unavailable" } }, {
      status: 429,
      body: {},
    }, ok()]);
    const { c, logs } = client(ep.fetch);
    assert.equal(await c.getToken(), "tok1");
    assert.equal(ep.calls.length, 4);
    assert.equal(logs.filter((l) => l[1].includes("retrying")).length, 3);
  }],
  ["a definitive error (invalid_client) is not retried", async () => {
    const ep = fakeEndpoint([{
      status: 401,
      body: { error: "invalid_client", error_description: "client authentication failed" },
    }]);
    const { c } = client(ep.fetch);
    await assert.rejects(
      c.getToken(),
      (e) => e instanceof TokenError && e.error === "invalid_client" && e.status === 401,
    );
    assert.equal(ep.calls.length, 1);
  }],
  ["retries are bounded: maxAttempts retries, then TokenError temporarily_unavailable", async () => {
    const ep = fakeEndpoint([{ status: 502, body: {} }]);
    const { c } = client(ep.fetch, { maxAttempts: 2 });
    await assert.rejects(c.getToken(), (e) => e instanceof TokenError && e.error === "temporarily_unavailable");
    assert.equal(ep.calls.length, 3);
  }],
  ["a failed refresh keeps serving the current token until it expires", async () => {
    const ep = fakeEndpoint([ok(), { status: 503, body: {} }]);
    const { c, advance } = client(ep.fetch, { maxAttempts: 0 });
    assert.equal(await c.getToken(), "tok1");
    advance(860 * 1000);
    assert.equal(await c.getToken(), "tok1");
    advance(60 * 1000);
    await assert.rejects(c.getToken(), TokenError);
  }],
  ["the secret is never logged, printed, serialized or put in an error", async () => {
    const ep = fakeEndpoint(["network", { status: 400, body: { error: "invalid_scope", error_description: "bad" } }]);
    const { c, logs } = client(ep.fetch);
    const err = await c.getToken().catch((e) => e);
    const b64 = btoa(`cpc_abc:${encodeURIComponent(SECRET)}`);
    const seen = [JSON.stringify(logs), String(err), err.stack ?? "", JSON.stringify(c), inspect(c), String(c)].join(
      "\n",
    );
    assert.ok(!seen.includes(SECRET), "no secret");
    assert.ok(!seen.includes(b64), "no encoded secret either");
    assert.ok(!Object.values(c).some((v) => v === SECRET), "not an enumerable field");
  }],
];

/** Against the running token endpoint: a real token, reused, and invalid_client for a wrong secret. */
export async function realEndpoint(tokenUrl, client) {
  const c = new TokenClient({
    tokenUrl,
    clientId: client.client_id,
    clientSecret: client.client_secret,
    scope: "metrics:read",
  });
  const t = await c.getToken();
  assert.equal(t.split(".").length, 3);
  assert.equal(await c.getToken(), t, "cached");
  const bad = new TokenClient({ tokenUrl, clientId: client.client_id, clientSecret: "wrong", maxAttempts: 0 });
  await assert.rejects(bad.getToken(), (e) => e instanceof TokenError && e.error === "invalid_client");
  return t;
}
