// The verifier in isolation (no database): its cache of verified tokens, the clock-skew bound, key-ring
// changes, and how often it fetches the Supabase JWKS.
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { authConfig, Verifier } from "./auth.ts";
import { parseKeyRing } from "./signing-keys.ts";

async function ring(state: "current" = "current") {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: crypto.randomUUID(), alg: "ES256", state };
  return { text: JSON.stringify({ keys: [jwk] }), jwk, key: privateKey };
}

function serviceClaims(iss: string, over: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss,
    sub: "cpc_x",
    client_id: "cpc_x",
    aud: "cryoprotect-api",
    iat: now,
    exp: now + 600,
    jti: crypto.randomUUID(),
    scope: "metrics:read",
    team_id: crypto.randomUUID(),
    role: "cryo_service",
    ...over,
  };
}

const sign = (claims: Record<string, unknown>, key: CryptoKey, kid: string) =>
  new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" }).sign(key);

Deno.test("verified tokens are cached by hash, never past their exp; a key-ring change empties the cache", async () => {
  const r = await ring();
  let text = r.text;
  const cfg = authConfig({ SUPABASE_URL: "http://127.0.0.1:9", CRYO_CLOCK_SKEW_S: "0" });
  const v = new Verifier(cfg, () => parseKeyRing(text));
  const now = Math.floor(Date.now() / 1000);
  const t = await sign(serviceClaims(cfg.serviceIssuer, { exp: now + 2 }), r.key, r.jwk.kid);
  await v.verify(t);
  await v.verify(t);
  assert.deepEqual(v.stats, { verified: 1, cached: 1 });
  await new Promise((res) => setTimeout(res, 2100));
  await assert.rejects(
    v.verify(t),
    (e: { status: number; message: string }) => e.status === 401 && /expired/.test(e.message),
  );
  // A rotation that drops the key: the cached verification goes with it.
  const t2 = await sign(serviceClaims(cfg.serviceIssuer), r.key, r.jwk.kid);
  await v.verify(t2);
  text = (await ring()).text;
  await assert.rejects(v.verify(t2), (e: { status: number }) => e.status === 401);
});

Deno.test("clock skew is bounded and configurable", async () => {
  const r = await ring();
  const now = Math.floor(Date.now() / 1000);
  const strict = new Verifier(
    authConfig({ SUPABASE_URL: "http://127.0.0.1:9", CRYO_CLOCK_SKEW_S: "0" }),
    () => parseKeyRing(r.text),
  );
  const lax = new Verifier(
    authConfig({ SUPABASE_URL: "http://127.0.0.1:9", CRYO_CLOCK_SKEW_S: "60" }),
    () => parseKeyRing(r.text),
  );
  const iss = strict.cfg.serviceIssuer;
  const justExpired = await sign(serviceClaims(iss, { iat: now - 100, exp: now - 10 }), r.key, r.jwk.kid);
  await assert.rejects(strict.verify(justExpired));
  await lax.verify(justExpired); // within 60 s
  const early = await sign(serviceClaims(iss, { nbf: now + 30 }), r.key, r.jwk.kid);
  await assert.rejects(strict.verify(early));
  await lax.verify(early);
  assert.throws(() => authConfig({ CRYO_CLOCK_SKEW_S: "3600" }), "at most 300 s");
});

Deno.test("the Supabase JWKS is fetched once, refetched on an unknown kid, at most once per cooldown", async () => {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const pub = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  let fetches = 0;
  const ac = new AbortController();
  const server = Deno.serve({ port: 0, signal: ac.signal, onListen: () => {} }, () => {
    fetches++;
    return Response.json({ keys: [pub] });
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const v = new Verifier(
      authConfig({ SUPABASE_URL: base, CRYO_AUTH_CACHE_MAX: "0" }),
      () => Promise.reject(new Error("none")),
    );
    const user = (kid: string) =>
      new SignJWT({ iss: `${base}/auth/v1`, aud: "authenticated", role: "authenticated", sub: crypto.randomUUID() })
        .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).setExpirationTime("5m").setIssuedAt().sign(privateKey);
    for (let i = 0; i < 5; i++) assert.equal((await v.verify(await user("k1"))).kind, "user");
    assert.equal(fetches, 1, "fetched once");
    for (let i = 0; i < 5; i++) {
      await assert.rejects(v.verify(await user("unknown")), (e: { status: number }) => e.status === 401);
    }
    assert.ok(fetches <= 2, `an unknown kid refetches at most once per 30 s (${fetches})`);
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("the key ring refuses sets without exactly one current private key, or with other algorithms", async () => {
  const r = await ring();
  await parseKeyRing(r.text);
  const pubOnly = { ...r.jwk, d: undefined };
  for (
    const bad of [
      "nope",
      JSON.stringify({ keys: [] }),
      JSON.stringify({ keys: [pubOnly] }),
      JSON.stringify({ keys: [r.jwk, { ...r.jwk, kid: "other" }] }),
      JSON.stringify({ keys: [{ ...r.jwk, state: "revoked" }] }),
      JSON.stringify({ keys: [{ ...r.jwk, kty: "oct", k: "c2VjcmV0" }] }),
    ]
  ) await assert.rejects(parseKeyRing(bad), `${bad.slice(0, 40)} refused`);
});

Deno.test("the project's anon and publishable keys act as anon by exact match; nothing similar does", async () => {
  const cfg = authConfig({
    SUPABASE_URL: "http://127.0.0.1:9",
    SUPABASE_ANON_KEY: "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.legacy",
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: "sb_publishable_abc123" }),
  });
  const v = new Verifier(cfg, () => Promise.reject(new Error("none")));
  assert.equal((await v.authenticate("Bearer sb_publishable_abc123")).kind, "anon");
  assert.equal((await v.authenticate("Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.legacy")).claims.role, "anon");
  assert.equal((await v.authenticate(undefined)).kind, "anon");
  for (const h of ["Bearer sb_publishable_abc124", "Bearer sb_secret_abc123", "Basic abc", "Bearer"]) {
    await assert.rejects(v.authenticate(h), (e: { status: number }) => e.status === 401, h);
  }
  assert.throws(() => authConfig({ SUPABASE_PUBLISHABLE_KEYS: "nope" }));
});
