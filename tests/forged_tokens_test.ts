// Forged, broken and no-longer-valid tokens against the running functions: every one refused with RFC 6750's
// status and error code, and none makes the database write anything (no audit event but the denials).
import assert from "node:assert/strict";
import { decodeProtectedHeader, generateKeyPair, importJWK, SignJWT } from "jose";
import { adminSql, FUNCTIONS_URL, signToken as signUserToken } from "./_helpers.ts";
import { createClient, disableClient, getToken, TEAMS, TOKEN_URL } from "./_tokens.ts";

const API = FUNCTIONS_URL.replace(/\/functions\/v1$/, "");
const ISS = `${API}/functions/v1/service-token`;
const METRICS = `${FUNCTIONS_URL}/health/metrics`;
const PING = `${FUNCTIONS_URL}/health/ping`;
const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function ourCurrentKey() {
  const set = JSON.parse(await Deno.readTextFile(new URL("../.local/keys/service_signing_keys.json", import.meta.url)));
  const k = set.keys.find((x: { state: string }) => x.state === "current");
  return {
    kid: k.kid as string,
    key: await importJWK(k, "ES256") as CryptoKey,
    publicJwk: { kty: k.kty, crv: k.crv, x: k.x, y: k.y },
  };
}

function claims(over: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISS,
    sub: "cpc_forged000000000000000000",
    client_id: "cpc_forged000000000000000000",
    aud: "cryoprotect-api",
    iat: now,
    exp: now + 600,
    jti: crypto.randomUUID(),
    scope: "metrics:read molecules:write",
    team_id: TEAMS.Alpha,
    role: "cryo_service",
    ...over,
  };
}

async function sign(payload: Record<string, unknown>, key: CryptoKey, header: Record<string, unknown>) {
  return await new SignJWT(payload).setProtectedHeader({ alg: "ES256", typ: "at+jwt", ...header } as never).sign(key);
}

async function hs256(payload: unknown, secret: string, kid: string) {
  const head = b64({ alg: "HS256", typ: "at+jwt", kid });
  const body = b64(payload);
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${head}.${body}`)));
  return `${head}.${body}.${
    btoa(String.fromCharCode(...sig)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
  }`;
}

async function call(url: string, token: string | null) {
  const r = await fetch(url, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  const text = await r.text();
  return { status: r.status, challenge: r.headers.get("www-authenticate") ?? "", body: text };
}

async function auditCount(sql: ReturnType<typeof adminSql>) {
  const [r] = await sql`select count(*)::int as n from audit.events where event_type <> 'request_denied'`;
  return r.n as number;
}

Deno.test("forged and invalid tokens: 401 invalid_token (or 403 insufficient_scope), nothing written", async () => {
  const ours = await ourCurrentKey();
  const attacker = await generateKeyPair("ES256");
  const good = await createClient("Alpha", "metrics:read molecules:read");
  const goodToken = await getToken(good);
  const [h, p, s] = goodToken.split(".");
  const payload = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
  const tampered = `${h}.${
    b64({ ...payload, scope: "metrics:read molecules:write audit:read", team_id: TEAMS.Beta })
  }.${s}`;

  // Revoked one way or another (the database refuses them: checked on a route that makes a transaction).
  const revoked = await getToken(good);
  await fetch(`${TOKEN_URL}/revoke`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: revoked, client_id: good.client_id, client_secret: good.client_secret }),
  }).then((r) => r.body?.cancel());
  const toDisable = await createClient("Alpha", "metrics:read");
  const ofDisabled = await getToken(toDisable);
  await disableClient(toDisable.client_id);
  const toRotate = await createClient("Alpha", "metrics:read");
  const beforeRotation = await getToken(toRotate);
  const sql = adminSql();
  await sql`select private.rotate_service_client_secret(${toRotate.client_id}, ${"0".repeat(64)})`;

  const now = Math.floor(Date.now() / 1000);
  const userToken = await signUserToken({
    iss: `${API}/auth/v1`,
    aud: "authenticated",
    role: "authenticated",
    sub: "a11ce000-0000-4000-8000-000000000001",
  });
  const invalid: [string, string, string][] = [
    ["garbage", METRICS, "not.a.jwt"],
    ["alg none", METRICS, `${b64({ alg: "none", typ: "at+jwt", kid: ours.kid })}.${b64(claims())}.`],
    ["HS256 keyed with the public JWK", METRICS, await hs256(claims(), JSON.stringify(ours.publicJwk), ours.kid)],
    ["HS256 keyed with the public x", METRICS, await hs256(claims(), ours.publicJwk.x, ours.kid)],
    ["unknown kid", METRICS, await sign(claims(), attacker.privateKey, { kid: "no-such-kid" })],
    ["right kid, attacker's key", METRICS, await sign(claims(), attacker.privateKey, { kid: ours.kid })],
    ["expired", METRICS, await sign(claims({ iat: now - 4000, exp: now - 3000 }), ours.key, { kid: ours.kid })],
    ["not yet valid (nbf)", METRICS, await sign(claims({ nbf: now + 3600 }), ours.key, { kid: ours.kid })],
    [
      "issued in the future",
      METRICS,
      await sign(claims({ iat: now + 3600, exp: now + 7200 }), ours.key, { kid: ours.kid }),
    ],
    ["wrong iss", METRICS, await sign(claims({ iss: "https://evil.example/" }), ours.key, { kid: ours.kid })],
    ["wrong aud", METRICS, await sign(claims({ aud: "someone-else" }), ours.key, { kid: ours.kid })],
    ["wrong typ", METRICS, await sign(claims(), ours.key, { kid: ours.kid, typ: "JWT" })],
    ["role not cryo_service", METRICS, await sign(claims({ role: "service_role" }), ours.key, { kid: ours.kid })],
    ["tampered payload", METRICS, tampered],
    ["extra segment", METRICS, `${goodToken}.eyJ4IjoxfQ`],
    ["Supabase service_role token", METRICS, await signUserToken({ iss: `${API}/auth/v1`, role: "service_role" })],
    [
      "user token, wrong aud",
      METRICS,
      await signUserToken({
        iss: `${API}/auth/v1`,
        aud: "other",
        role: "authenticated",
        sub: "a11ce000-0000-4000-8000-000000000001",
      }),
    ],
    [
      "user token, HS256",
      METRICS,
      await hs256(
        {
          iss: `${API}/auth/v1`,
          aud: "authenticated",
          role: "authenticated",
          sub: "a11ce000-0000-4000-8000-000000000001",
          exp: now + 60,
        },
        "super-secret-jwt-token-with-at-least-32-characters-long",
        "x",
      ),
    ],
    ["revoked jti", PING, revoked],
    ["token of a disabled client", PING, ofDisabled],
    ["token issued before a secret rotation", PING, beforeRotation],
  ];
  const noScope = await createClient("Alpha", "molecules:read");
  const noScopeToken = await getToken(noScope);
  // A verified token of this same client still works (the failures are about each forgery, not the route).
  assert.equal((await call(METRICS, goodToken)).status, 200);
  try {
    const before = await auditCount(sql);
    for (const [name, url, token] of invalid) {
      const r = await call(url, token);
      assert.equal(r.status, 401, `${name}: 401 (got ${r.status} ${r.body.slice(0, 200)})`);
      assert.match(r.challenge, /^Bearer .*error="invalid_token"/, `${name}: WWW-Authenticate`);
      assert.equal(JSON.parse(r.body).error.code, "invalid_token", `${name}: code`);
    }
    const none = await call(METRICS, null);
    assert.equal(none.status, 401, "no token: 401");
    assert.match(none.challenge, /^Bearer realm=/);
    assert.doesNotMatch(none.challenge, /error=/, "no error code when no credentials were sent (RFC 6750 §3.1)");
    assert.equal((await call(METRICS, "")).status, 401);
    const bad = await fetch(METRICS, { headers: { authorization: "Basic Zm9vOmJhcg==" } });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();

    // A valid token without the scope, and a user token where a service scope is needed: 403 naming it.
    for (const [name, token] of [["missing scope", noScopeToken], ["user token", userToken]]) {
      const r = await call(METRICS, token);
      assert.equal(r.status, 403, `${name}: 403`);
      assert.match(
        r.challenge,
        /error="insufficient_scope", scope="metrics:read"/,
        `${name}: challenge names the scope`,
      );
      const e = JSON.parse(r.body).error;
      assert.equal(e.code, "insufficient_scope");
      assert.match(e.message, /metrics:read/);
    }
    assert.equal(await auditCount(sql), before, "nothing but denials was written");
    const [denied] = await sql`select count(*)::int as n from audit.events
      where event_type = 'request_denied' and client_id = ${noScope.client_id}`;
    assert.equal(denied.n, 1, "the service client's denied request is in the audit log");
  } finally {
    await sql.end();
  }
  assert.equal(decodeProtectedHeader(goodToken).kid, ours.kid);
});

Deno.test("the anon key acts as anon; anything presented must verify, even where no token is needed", async () => {
  const anonKey = Deno.env.get("ANON_KEY") ?? await signUserToken({ iss: `${API}/auth/v1`, role: "anon" });
  assert.equal((await call(PING, anonKey)).status, 200);
  assert.equal((await call(PING, null)).status, 200, "no token: anon");
  assert.equal((await call(PING, "garbage")).status, 401);
  const anonOnMetrics = await call(METRICS, anonKey);
  assert.equal(anonOnMetrics.status, 403);
  assert.equal(JSON.parse(anonOnMetrics.body).error.code, "insufficient_scope");
});
