// The local Auth emulation (scripts/platform/auth.ts) over HTTP through the local gateway: the four calls
// supabase-js makes for a password user (sign-in, refresh, user, sign-out), the tokens' shape (that of `npm run
// token`) and that the functions' verifier accepts them; wrong credentials, spent refresh tokens and signed-out
// sessions are refused with GoTrue's error codes; and a gateway that is not on a local stack refuses the paths.
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { FUNCTIONS_URL } from "./_helpers.ts";
import { TEAMS } from "./_tokens.ts";
import { DEMO_PASSWORD } from "../scripts/platform/auth.ts";

const API_URL = FUNCTIONS_URL.replace(/\/functions\/v1$/, "");
const AUTH = `${API_URL}/auth/v1`;

async function call(method: string, path: string, { body, token }: { body?: unknown; token?: string } = {}) {
  const r = await fetch(`${AUTH}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      origin: "http://127.0.0.1:9999",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

const signIn = (email: string, password = DEMO_PASSWORD) =>
  call("POST", "/token?grant_type=password", { body: { email, password } });

Deno.test("password sign-in of a demo user answers a session whose access token has `npm run token`'s claims", async () => {
  const r = await signIn("Alice@Example.org");
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  assert.equal(r.body.token_type, "bearer");
  assert.equal(r.body.user.id, "a11ce000-0000-4000-8000-000000000001");
  assert.equal(r.body.user.email, "alice@example.org");
  assert.ok(r.body.refresh_token.length >= 20);
  assert.ok(r.body.expires_at > Date.now() / 1000);
  const claims = decodeJwt(r.body.access_token);
  assert.equal(decodeProtectedHeader(r.body.access_token).alg, "ES256");
  assert.equal(claims.iss, `${API_URL}/auth/v1`);
  assert.deepEqual(
    Object.keys(claims).sort(),
    [
      "aal",
      "amr",
      "app_metadata",
      "aud",
      "email",
      "exp",
      "iat",
      "is_anonymous",
      "iss",
      "phone",
      "role",
      "session_id",
      "sub",
      "user_metadata",
    ],
  );
  assert.equal(claims.role, "authenticated");
  assert.equal(claims.sub, r.body.user.id);
});

Deno.test("the emulated access token is accepted by a function's verifier (alice lists Alpha's service clients)", async () => {
  const { body } = await signIn("alice@example.org");
  const r = await fetch(`${FUNCTIONS_URL}/service-clients?team_id=${TEAMS.Alpha}`, {
    headers: { authorization: `Bearer ${body.access_token}` },
  });
  assert.equal(r.status, 200, await r.clone().text());
  assert.ok(Array.isArray((await r.json()).clients));
});

Deno.test("a wrong password, an unknown email and a malformed body get 400 invalid_credentials alike", async () => {
  for (const r of [await signIn("alice@example.org", "nope"), await signIn("mallory@example.org"), await signIn("")]) {
    assert.equal(r.status, 400);
    assert.equal(r.body.code, "invalid_credentials");
    assert.equal(r.body.msg, "Invalid login credentials");
    assert.equal(r.body.access_token, undefined);
  }
});

Deno.test("refresh rotates the refresh token: the new one works, the spent one is refused", async () => {
  const first = (await signIn("carol@example.org")).body;
  const r = await call("POST", "/token?grant_type=refresh_token", { body: { refresh_token: first.refresh_token } });
  assert.equal(r.status, 200);
  assert.notEqual(r.body.refresh_token, first.refresh_token);
  assert.equal(decodeJwt(r.body.access_token).session_id, decodeJwt(first.access_token).session_id);
  const again = await call("POST", "/token?grant_type=refresh_token", { body: { refresh_token: first.refresh_token } });
  assert.equal(again.status, 400);
  assert.equal(again.body.code, "refresh_token_not_found");
});

Deno.test("GET /user answers the signed-in user; without or with a forged token it is 401", async () => {
  const s = (await signIn("erin@example.org")).body;
  const me = await call("GET", "/user", { token: s.access_token });
  assert.equal(me.status, 200);
  assert.equal(me.body.email, "erin@example.org");
  assert.equal((await call("GET", "/user")).status, 401);
  const [h, p] = s.access_token.split(".");
  const forged = `${h}.${p}.${"A".repeat(86)}`;
  assert.equal((await call("GET", "/user", { token: forged })).status, 401);
});

Deno.test("logout ends the session: 204, then its refresh token and /user are refused", async () => {
  const s = (await signIn("bob@example.org")).body;
  const out = await call("POST", "/logout?scope=global", { token: s.access_token });
  assert.equal(out.status, 204);
  const r = await call("POST", "/token?grant_type=refresh_token", { body: { refresh_token: s.refresh_token } });
  assert.equal(r.status, 400);
  assert.equal((await call("GET", "/user", { token: s.access_token })).status, 403);
});

Deno.test("other Auth paths and grant types are refused with a reason", async () => {
  const signup = await call("POST", "/signup", { body: { email: "x@example.org", password: "p" } });
  assert.equal(signup.status, 404);
  assert.equal(signup.body.code, "not_found");
  const grant = await call("POST", "/token?grant_type=id_token", { body: {} });
  assert.equal(grant.status, 400);
  assert.equal(grant.body.code, "unsupported_grant_type");
});

Deno.test("a gateway not on a local stack refuses /auth/v1 (the emulation is never mounted outside CRYO_ENV=local)", async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const deno = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
  const child = new Deno.Command(deno, {
    args: ["run", "-A", "--config", "deno.json", "scripts/functions-server.ts"],
    cwd: new URL("..", import.meta.url).pathname,
    env: {
      CRYO_ENV: "production",
      // A production-shaped pooler URL (nothing is reached: the functions connect lazily).
      CRYO_DB_URL: "postgresql://cryo_api.ref:secret@127.0.0.1:6543/postgres",
      CRYO_FUNCTIONS_PORT: String(port),
      CRYO_BENCH_ROUTES: "0",
      NO_COLOR: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    let r: Response | null = null;
    for (let i = 0; i < 100 && !r; i++) {
      r = await fetch(`http://127.0.0.1:${port}/auth/v1/token?grant_type=password`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "alice@example.org", password: DEMO_PASSWORD }),
      }).catch(() => null);
      if (!r) await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(r, "the production-mode gateway never answered");
    assert.equal(r.status, 404);
    const body = await r.json();
    assert.equal(body.error.code, "NOT_FOUND");
    assert.equal(body.access_token, undefined);
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone: its output says why */ }
    const out = await child.output();
    if (out.code !== 0 && out.code !== 143) console.error(new TextDecoder().decode(out.stderr));
  }
});
