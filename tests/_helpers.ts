// Shared by the Deno integration tests: where the running test stack is, a direct admin connection, and user
// tokens minted with the stack's local signing key (as Supabase Auth would mint them).
import { importJWK, SignJWT } from "jose";
import postgres from "postgres";
import type { DbError } from "../supabase/functions/_shared/db.ts";

export const FUNCTIONS_URL = Deno.env.get("FUNCTIONS_URL") ?? "http://127.0.0.1:54421/functions/v1";
export const DB_URL = Deno.env.get("DB_URL") ?? "postgresql://postgres:postgres@127.0.0.1:54422/postgres";
export const POOLER_URL = Deno.env.get("POOLER_URL") ?? "";

/** A direct connection as `postgres` (the migration owner), for arranging fixtures. */
export function adminSql() {
  return postgres(DB_URL, { max: 2, prepare: false, onnotice: () => {} });
}

/** A token signed by the local Supabase Auth key (.local/keys), with `claims` and `exp` in `ttlSeconds`. */
export async function signToken(claims: Record<string, unknown>, ttlSeconds = 3600): Promise<string> {
  const jwk = JSON.parse(await Deno.readTextFile(new URL("../.local/keys/signing_key.json", import.meta.url)));
  const key = await importJWK(jwk, "ES256");
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ iat: now, exp: now + ttlSeconds, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" })
    .sign(key);
}

/** The error `p` rejects with (a DbError from the database module); throws when `p` resolves. */
export async function rejection(p: Promise<unknown>): Promise<DbError> {
  try {
    await p;
  } catch (e) {
    return e as DbError;
  }
  throw new Error("expected a rejection");
}

/** The sum of a prom-client counter over all its labels. */
export const counterTotal = async (c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> =>
  (await c.get()).values.reduce((a, v) => a + v.value, 0);
