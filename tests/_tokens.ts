// Service clients and tokens for the Deno integration tests: clients made as `postgres` through the same SQL
// function the service-clients function calls (secrets hashed with the local pepper), tokens from the running
// token endpoint.
import { adminSql, FUNCTIONS_URL } from "./_helpers.ts";
import { hashClientSecret, newClientSecret } from "../supabase/functions/_shared/client-secret.ts";

export const TEAMS = { Alpha: "783103de-d80a-54d2-859c-4b2aea2e914f", Beta: "1bd28ec4-fdc9-52bb-92f7-b1c5c8f7db3f" };
export const OWNERS = { Alpha: "alice@example.org", Beta: "" };
export const TOKEN_URL = `${FUNCTIONS_URL}/service-token`;

export type TestClient = { client_id: string; client_secret: string; team_id: string };

export async function localPepper(): Promise<string> {
  return (await Deno.readTextFile(new URL("../.local/keys/client_secret_pepper", import.meta.url))).trim();
}

/** A new client of `team` with `scopes` (space-separated). */
export async function createClient(team: keyof typeof TEAMS, scopes: string, name = "test"): Promise<TestClient> {
  const secret = newClientSecret();
  const hash = await hashClientSecret(secret, await localPepper());
  const sql = adminSql();
  try {
    const [row] = await sql`select client_id, team_id from private.create_service_client(
      ${TEAMS[team]}::uuid, ${name + " " + crypto.randomUUID().slice(0, 8)}, ${scopes.split(" ")}::text[], ${hash})`;
    return { client_id: row.client_id, client_secret: secret, team_id: row.team_id };
  } finally {
    await sql.end();
  }
}

/** POST to the token endpoint with form parameters (and optional headers); returns status, body, headers. */
export async function tokenRequest(params: Record<string, string>, headers: Record<string, string> = {}, path = "") {
  const r = await fetch(`${TOKEN_URL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(params),
  });
  const text = await r.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch { /* not JSON */ }
  return { status: r.status, body, headers: r.headers };
}

/** An access token for `client` (client_secret_post), optionally narrowed to `scope`. Throws unless 200. */
export async function getToken(client: TestClient, scope?: string): Promise<string> {
  const r = await tokenRequest({
    grant_type: "client_credentials",
    client_id: client.client_id,
    client_secret: client.client_secret,
    ...(scope ? { scope } : {}),
  });
  if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

export function basic(id: string, secret: string): string {
  return "Basic " + btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`);
}

export async function disableClient(clientId: string) {
  const sql = adminSql();
  try {
    await sql`select private.disable_service_client(${clientId})`;
  } finally {
    await sql.end();
  }
}

/**
 * Claims of a live service token of a new client of `teamId` (any team, e.g. one a test just made), for
 * tests that hand claims to the database module directly: the module asserts in every cryo_service
 * transaction that the token's client exists, is enabled, and issued it after its last rotation.
 */
export async function liveServiceClaims(teamId: string, scopes = "molecules:read"): Promise<Record<string, unknown>> {
  const hash = await hashClientSecret(newClientSecret(), await localPepper());
  const sql = adminSql();
  try {
    const [c] = await sql`select client_id from private.create_service_client(${teamId}::uuid,
      ${"test " + crypto.randomUUID().slice(0, 8)}, ${scopes.split(" ")}::text[], ${hash})`;
    const [row] = await sql`select client_id, ceil(extract(epoch from tokens_valid_after))::int8 as valid_after
      from private.service_clients where client_id = ${c.client_id}`;
    const iat = Math.max(Math.floor(Date.now() / 1000), Number(row.valid_after));
    return {
      role: "cryo_service",
      sub: row.client_id,
      client_id: row.client_id,
      jti: crypto.randomUUID(),
      iat,
      exp: iat + 900,
      team_id: teamId,
      scope: scopes,
    };
  } finally {
    await sql.end();
  }
}
