// The signing keys of our service tokens: a JWK set with a `state` per key, from the function secret
// CRYO_SIGNING_KEYS (locally the gateway copies `.local/keys/service_signing_keys.json` into it, see
// scripts/keys.mjs). States follow Supabase's own signing keys:
//   standby   published in the JWKS before it signs anything, so verifiers that cache the JWKS know it in time
//   current   signs every new token (exactly one)
//   previous  no longer signs; published and accepted until the tokens it signed have expired
// A rotation moves standby → current → previous (and drops the older previous), so a token never meets a
// verifier that does not know its key: rotation never fails a request, as long as rotations are at least one
// token lifetime (CRYO_TOKEN_TTL_S) plus the JWKS cache time (10 min) apart.
import { importJWK, type JWK } from "jose";

export type KeyState = "standby" | "current" | "previous";
export type StatefulJwk = JWK & { kid: string; state: KeyState };

/** The parsed key ring: the current private key for signing, and every published public key. */
export type KeyRing = {
  /** Identity of this ring (the raw secret's text); a change clears verification caches. */
  readonly version: string;
  readonly current: { kid: string; key: CryptoKey };
  /** Public JWKs (no `d`), standby, current and previous, each with its state. */
  readonly publicKeys: StatefulJwk[];
};

export class SigningKeysError extends Error {}

const PUBLIC_FIELDS = ["kty", "crv", "x", "y", "kid", "alg", "use"] as const;

/** The public half of a key: only the fields a verifier needs (never `d`). */
export function publicJwk(k: StatefulJwk): StatefulJwk {
  const out: Record<string, unknown> = {};
  for (const f of PUBLIC_FIELDS) if (k[f] !== undefined) out[f] = k[f];
  out.state = k.state;
  return out as StatefulJwk;
}

/**
 * Parses a CRYO_SIGNING_KEYS text: `{ "keys": [ { kty: "EC", crv: "P-256", x, y, d, kid, alg: "ES256", state } ] }`.
 * Exactly one `current` key with its private part; every key EC P-256 / ES256 with a unique kid. Throws
 * SigningKeysError naming the problem (never the key material).
 */
export async function parseKeyRing(text: string): Promise<KeyRing> {
  let set: { keys?: unknown };
  try {
    set = JSON.parse(text);
  } catch {
    throw new SigningKeysError("CRYO_SIGNING_KEYS is not JSON");
  }
  if (!Array.isArray(set?.keys) || set.keys.length === 0) throw new SigningKeysError("CRYO_SIGNING_KEYS has no keys");
  const keys = set.keys as StatefulJwk[];
  const kids = new Set<string>();
  for (const k of keys) {
    if (k.kty !== "EC" || k.crv !== "P-256" || (k.alg ?? "ES256") !== "ES256") {
      throw new SigningKeysError(`key ${k.kid ?? "?"} is not an ES256 (EC P-256) key`);
    }
    if (typeof k.kid !== "string" || !k.kid || kids.has(k.kid)) {
      throw new SigningKeysError("every key needs a unique kid");
    }
    if (!["standby", "current", "previous"].includes(k.state)) {
      throw new SigningKeysError(`key ${k.kid} has state ${k.state}; expected standby, current or previous`);
    }
    kids.add(k.kid);
  }
  const currents = keys.filter((k) => k.state === "current");
  if (currents.length !== 1 || !currents[0].d) {
    throw new SigningKeysError("CRYO_SIGNING_KEYS needs exactly one current key, with its private part");
  }
  const c = currents[0];
  const key = await importJWK({ kty: c.kty, crv: c.crv, x: c.x, y: c.y, d: c.d }, "ES256") as CryptoKey;
  return { version: text, current: { kid: c.kid, key }, publicKeys: keys.map(publicJwk) };
}

let cached: { text: string; ring: Promise<KeyRing> } | undefined;

/**
 * The ring from CRYO_SIGNING_KEYS as it is now (re-parsed only when the variable's text changed, so a local
 * `npm run keys -- rotate` takes effect without a restart). Rejects with SigningKeysError when unset or bad.
 */
export function keyRing(env: () => string | undefined = () => Deno.env.get("CRYO_SIGNING_KEYS")): Promise<KeyRing> {
  const text = env();
  if (!text) return Promise.reject(new SigningKeysError("CRYO_SIGNING_KEYS is not set"));
  if (cached?.text !== text) {
    const ring = parseKeyRing(text);
    ring.catch(() => {});
    cached = { text, ring };
  }
  return cached.ring;
}
