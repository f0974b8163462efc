// Client secrets of service clients: 256 random bits shown once, stored only as HMAC-SHA256(pepper, secret).
// A keyed hash suffices because the secret is random (nothing to guess, so no memory-hard KDF burning the
// functions' CPU budget on every token request); the pepper (function secret CRYO_CLIENT_SECRET_PEPPER, which
// the database never sees) makes a stolen table useless for getting a token. WebCrypto only: Deno and Node.

/** A new client secret: "cps_" + 43 base64url characters (32 random bytes). */
export function newClientSecret(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return "cps_" + btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Lower-case hex HMAC-SHA256 of `secret` keyed with `pepper` (64 characters), as the database stores it. */
export async function hashClientSecret(secret: string, pepper: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(pepper),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(secret)));
  return Array.from(mac, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The pepper from CRYO_CLIENT_SECRET_PEPPER (at least 32 characters), or null when not configured. */
export function pepper(env: (k: string) => string | undefined = (k) => Deno.env.get(k)): string | null {
  const p = env("CRYO_CLIENT_SECRET_PEPPER");
  return p && p.length >= 32 ? p : null;
}
