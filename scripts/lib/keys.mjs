// The local stand-in for Supabase Auth's asymmetric signing key: an ES256 key generated into the gitignored
// .local/keys/, its public half published as a JWKS. Tokens are shaped like Supabase Auth's access tokens.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { ensureDir } from "./config.mjs";

export async function ensureSigningKey(c) {
  // The service-token keys and client-secret pepper (scripts/keys.mjs) live beside it.
  await (await import("../keys.mjs")).ensureServiceKeys();
  const file = join(c.keysDir, "signing_key.json");
  if (existsSync(file)) return;
  ensureDir(c.keysDir, 0o700);
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = randomUUID();
  const priv = { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" };
  const pub = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  writeFileSync(file, JSON.stringify(priv, null, 2), { mode: 0o600 });
  writeFileSync(join(c.keysDir, "jwks.json"), JSON.stringify({ keys: [pub] }, null, 2));
}

export const issuer = (c) => `${c.apiUrl}/auth/v1`;

export async function signToken(c, claims, ttlSeconds) {
  const jwk = JSON.parse(readFileSync(join(c.keysDir, "signing_key.json"), "utf8"));
  const key = await importJWK(jwk, "ES256");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer(c), iat: now, exp: now + ttlSeconds, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" })
    .sign(key);
}

/** Like Supabase's legacy anon key: a long-lived JWT whose only claim of note is role=anon. */
export function anonKey(c) {
  return signToken(c, { role: "anon", ref: "local" }, 10 * 365 * 24 * 3600);
}
