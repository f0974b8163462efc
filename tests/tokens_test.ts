// The token endpoint (RFC 6749 §4.4, §5.1, §5.2; RFC 9068 tokens), the JWKS, revocation (RFC 7009) and key
// rotation under load, against the running functions of the test stack.
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { adminSql, FUNCTIONS_URL } from "./_helpers.ts";
import { basic, createClient, disableClient, getToken, TEAMS, TOKEN_URL, tokenRequest } from "./_tokens.ts";

const API = FUNCTIONS_URL.replace(/\/functions\/v1$/, "");
const ping = (token: string) =>
  fetch(`${FUNCTIONS_URL}/health/ping`, { headers: { authorization: `Bearer ${token}` } });

Deno.test("client_secret_basic, form-encoded: 200 with an RFC 9068 token, no-store, scope = allowed by default", async () => {
  const c = await createClient("Alpha", "molecules:read metrics:read");
  const r = await tokenRequest({ grant_type: "client_credentials" }, {
    authorization: basic(c.client_id, c.client_secret),
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("cache-control"), "no-store");
  assert.equal(r.headers.get("pragma"), "no-cache");
  assert.deepEqual(Object.keys(r.body).sort(), ["access_token", "expires_in", "scope", "token_type"]);
  assert.equal(r.body.token_type, "Bearer");
  assert.equal(r.body.expires_in, 900, "CRYO_TOKEN_TTL_S default: 15 min");
  assert.equal(r.body.scope, "metrics:read molecules:read");
  const h = decodeProtectedHeader(r.body.access_token);
  assert.equal(h.typ, "at+jwt");
  assert.equal(h.alg, "ES256");
  assert.equal(typeof h.kid, "string");
  const p = decodeJwt(r.body.access_token);
  assert.equal(p.iss, `${API}/functions/v1/service-token`);
  assert.equal(p.sub, c.client_id);
  assert.equal(p.client_id, c.client_id);
  assert.equal(p.aud, "cryoprotect-api");
  assert.equal(p.team_id, TEAMS.Alpha);
  assert.equal(p.role, "cryo_service");
  assert.equal(p.scope, "metrics:read molecules:read");
  assert.equal(p.exp! - p.iat!, 900);
  assert.ok(Math.abs(p.iat! - Date.now() / 1000) < 30);
  assert.match(String(p.jti), /^[0-9a-f-]{36}$/);
  assert.match(r.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  const kids = (await (await fetch(`${TOKEN_URL}/.well-known/jwks.json`)).json()).keys.map((k: { kid: string }) =>
    k.kid
  );
  assert.ok(kids.includes(h.kid), "signed with a published key");
});

Deno.test("client_secret_post in a JSON body; requested scopes are narrowed to the allowed ones", async () => {
  const c = await createClient("Beta", "molecules:read mixtures:write");
  const r = await fetch(TOKEN_URL, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: c.client_id,
      client_secret: c.client_secret,
      scope: "mixtures:write metrics:read",
    }),
  });
  const body = await r.json();
  assert.equal(r.status, 200);
  assert.equal(body.scope, "mixtures:write", "requested ∩ allowed");
  assert.equal(decodeJwt(body.access_token).team_id, TEAMS.Beta);
});

Deno.test("error answers are RFC 6749 §5.2 (status, error code, no-store), and say nothing about whether a client exists", async () => {
  const c = await createClient("Alpha", "molecules:read");
  const disabled = await createClient("Alpha", "molecules:read");
  await disableClient(disabled.client_id);
  const cases: [string, Promise<Awaited<ReturnType<typeof tokenRequest>>>, number, string][] = [
    [
      "wrong secret, Basic",
      tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(c.client_id, "nope") }),
      401,
      "invalid_client",
    ],
    [
      "unknown client, Basic",
      tokenRequest({ grant_type: "client_credentials" }, { authorization: basic("cpc_nosuchclient0000000000", "x") }),
      401,
      "invalid_client",
    ],
    [
      "disabled client, Basic",
      tokenRequest({ grant_type: "client_credentials" }, {
        authorization: basic(disabled.client_id, disabled.client_secret),
      }),
      401,
      "invalid_client",
    ],
    ["no client authentication", tokenRequest({ grant_type: "client_credentials" }), 401, "invalid_client"],
    [
      "malformed Basic",
      tokenRequest({ grant_type: "client_credentials" }, { authorization: "Basic %%%" }),
      401,
      "invalid_client",
    ],
    [
      "two methods",
      tokenRequest({ grant_type: "client_credentials", client_id: c.client_id, client_secret: c.client_secret }, {
        authorization: basic(c.client_id, c.client_secret),
      }),
      400,
      "invalid_request",
    ],
    ["no grant_type", tokenRequest({ client_id: c.client_id, client_secret: c.client_secret }), 400, "invalid_request"],
    [
      "other grant",
      tokenRequest({ grant_type: "password", client_id: c.client_id, client_secret: c.client_secret }),
      400,
      "unsupported_grant_type",
    ],
    [
      "unknown scope",
      tokenRequest({
        grant_type: "client_credentials",
        client_id: c.client_id,
        client_secret: c.client_secret,
        scope: "root:all",
      }),
      400,
      "invalid_scope",
    ],
    [
      "scope not allowed",
      tokenRequest({
        grant_type: "client_credentials",
        client_id: c.client_id,
        client_secret: c.client_secret,
        scope: "metrics:read",
      }),
      400,
      "invalid_scope",
    ],
  ];
  for (const [name, req, status, error] of cases) {
    const r = await req;
    assert.equal(r.status, status, `${name}: status`);
    assert.equal(r.body?.error, error, `${name}: error code`);
    assert.equal(r.headers.get("cache-control"), "no-store", `${name}: no-store`);
  }
  // Basic was used → the challenge is Basic; in the body → no Basic challenge is required, and the three
  // "no" answers (wrong secret, unknown, disabled) are byte-identical.
  const bodies = new Set<string>();
  for (
    const [id, secret] of [[c.client_id, "nope"], ["cpc_nosuchclient0000000000", "x"], [
      disabled.client_id,
      disabled.client_secret,
    ]]
  ) {
    const r = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(id, secret) });
    assert.match(r.headers.get("www-authenticate") ?? "", /^Basic /);
    bodies.add(JSON.stringify(r.body));
  }
  assert.equal(bodies.size, 1, "one answer for every kind of bad client");
  const text = await fetch(TOKEN_URL, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
  assert.equal(text.status, 400);
  assert.equal((await text.json()).error, "invalid_request");
});

Deno.test("the JWKS publishes public keys only, with states and a cache lifetime", async () => {
  const r = await fetch(`${TOKEN_URL}/.well-known/jwks.json`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("cache-control") ?? "", /max-age=\d+/);
  const { keys } = await r.json();
  assert.ok(keys.some((k: { state: string }) => k.state === "current"));
  for (const k of keys) {
    assert.equal(k.d, undefined, "no private part");
    assert.equal(k.kty, "EC");
    assert.equal(k.alg, "ES256");
  }
});

Deno.test("revocation (RFC 7009): 200, and the token is refused on its next use; unknown tokens are 200 too", async () => {
  const c = await createClient("Alpha", "molecules:read");
  const t = await getToken(c);
  assert.equal((await ping(t)).status, 200);
  const r = await tokenRequest({ token: t, token_type_hint: "access_token" }, {
    authorization: basic(c.client_id, c.client_secret),
  }, "/revoke");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("cache-control"), "no-store");
  const after = await ping(t);
  assert.equal(after.status, 401);
  assert.match(after.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
  assert.equal((await after.json()).error.code, "invalid_token");
  // Another client's token is not revoked by this client.
  const other = await createClient("Alpha", "molecules:read");
  const ot = await getToken(other);
  assert.equal(
    (await tokenRequest({ token: ot }, { authorization: basic(c.client_id, c.client_secret) }, "/revoke")).status,
    200,
  );
  assert.equal((await ping(ot)).status, 200, "a foreign token stays valid");
  assert.equal(
    (await tokenRequest({ token: "garbage" }, { authorization: basic(c.client_id, c.client_secret) }, "/revoke"))
      .status,
    200,
  );
  const missing = await tokenRequest({}, { authorization: basic(c.client_id, c.client_secret) }, "/revoke");
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error, "invalid_request");
});

Deno.test("issuance and revocation are in the audit log with the request id", async () => {
  const c = await createClient("Alpha", "molecules:read");
  const r = await tokenRequest({
    grant_type: "client_credentials",
    client_id: c.client_id,
    client_secret: c.client_secret,
  });
  const rid = r.headers.get("x-request-id");
  const jti = decodeJwt(r.body.access_token).jti;
  await tokenRequest({ token: r.body.access_token }, { authorization: basic(c.client_id, c.client_secret) }, "/revoke");
  await tokenRequest({ grant_type: "client_credentials", client_id: c.client_id, client_secret: "wrong" });
  const sql = adminSql();
  try {
    const rows =
      await sql`select event_type, jti, request_id from audit.events where client_id = ${c.client_id} order by id`;
    const types = rows.map((x) => x.event_type);
    assert.deepEqual(types.filter((t) => t !== "client_changed"), ["token_issued", "token_revoked", "auth_failed"]);
    const issued = rows.find((x) => x.event_type === "token_issued")!;
    assert.equal(issued.jti, jti);
    assert.equal(issued.request_id, rid);
  } finally {
    await sql.end();
  }
});

Deno.test("key rotation mid-flight under load: zero failed requests; old tokens verify, new ones use the new key", async () => {
  const c = await createClient("Alpha", "metrics:read");
  const before = await getToken(c);
  const oldKid = decodeProtectedHeader(before).kid;
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  // Paced below the per-caller rate limit (300 requests/s per client: 4 workers × 2 requests per 40 ms ≈ 200/s),
  // so a 429 would be a failure.
  const worker = async () => {
    let t = before;
    for (let i = 0; !stop; i++) {
      try {
        // Every few rounds a fresh token; each round uses it and the pre-rotation token.
        if (i % 4 === 0) t = await getToken(c);
        await new Promise((r) => setTimeout(r, 40));
        for (const tok of [t, before]) {
          const r = await fetch(`${FUNCTIONS_URL}/health/metrics`, { headers: { authorization: `Bearer ${tok}` } });
          await r.body?.cancel();
          if (r.status === 200) ok++;
          else failures.push(`${r.status}`);
        }
      } catch (e) {
        failures.push(String(e));
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  await new Promise((r) => setTimeout(r, 800));
  const rot = await new Deno.Command("node", { args: ["scripts/keys.mjs", "rotate"], stdout: "piped", stderr: "piped" })
    .output();
  assert.equal(rot.code, 0, new TextDecoder().decode(rot.stderr));
  // The gateway re-reads the key file twice a second; keep the load on well past that.
  let after = before;
  const t0 = Date.now();
  while (decodeProtectedHeader(after).kid === oldKid && Date.now() - t0 < 10000) {
    await new Promise((r) => setTimeout(r, 200));
    after = await getToken(c);
  }
  await new Promise((r) => setTimeout(r, 800));
  stop = true;
  await Promise.all(workers);
  assert.deepEqual(failures, [], "no request failed");
  assert.ok(ok > 20, `requests ran during the rotation (${ok})`);
  assert.notEqual(decodeProtectedHeader(after).kid, oldKid, "new tokens are signed by the new current key");
  const keys = (await (await fetch(`${TOKEN_URL}/.well-known/jwks.json`)).json()).keys;
  assert.equal(keys.find((k: { kid: string }) => k.kid === oldKid)?.state, "previous");
  assert.equal(keys.find((k: { kid: string }) => k.kid === decodeProtectedHeader(after).kid)?.state, "current");
  assert.equal((await ping(before)).status, 200, "a token of the previous key still verifies");
});

Deno.test("repeated failures lock the client out with backoff (same answer), audited; it recovers afterwards", async () => {
  const c = await createClient("Alpha", "molecules:read");
  const attempt = (secret: string) =>
    tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(c.client_id, secret) });
  for (let i = 0; i < 5; i++) assert.equal((await attempt("wrong")).status, 401);
  // Locked from the 5th failure for 2^(5-5) = 1 s: even the right secret gets the very same answer then.
  const t0 = performance.now();
  const locked = await attempt(c.client_secret);
  const inTime = performance.now() - t0 < 900;
  const sql = adminSql();
  try {
    const rows = await sql`select detail ->> 'reason' as reason from audit.events
      where client_id = ${c.client_id} and event_type = 'auth_failed' order by id`;
    assert.deepEqual(rows.slice(0, 5).map((r) => r.reason), Array(5).fill("bad_secret"), "each failure audited");
    if (inTime) {
      assert.equal(locked.status, 401);
      assert.equal(locked.body.error, "invalid_client");
      assert.equal(rows[5]?.reason, "locked");
    }
  } finally {
    await sql.end();
  }
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await attempt(c.client_secret)).status, 200, "after the lock, the right secret works again");
});
