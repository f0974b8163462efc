// OAuth 2.0 token endpoint for service clients (client credentials grant, RFC 6749 §4.4) and its companions.
// POST /functions/v1/service-token                        issue an access token (RFC 6749 §5.1 / §5.2 answers)
// POST /functions/v1/service-token/revoke                 revoke one (RFC 7009)
// GET  /functions/v1/service-token/.well-known/jwks.json  our public keys: standby, current, previous
//
// Client authentication: HTTP Basic (client_secret_basic; id and secret form-urlencoded, RFC 6749 §2.3.1) or
// client_id + client_secret in the body (client_secret_post), never both; bodies form-encoded or JSON.
// Tokens follow RFC 9068 (header typ at+jwt, kid, ES256; claims iss, sub = client_id, client_id, aud, exp,
// iat, jti, scope, team_id, role cryo_service). The database checks the secret's keyed hash and answers the
// same "no" for an unknown, disabled, locked-out or wrong client (private.authenticate_service_client, which
// also counts failures, backs off and audits); so does this endpoint: 401 invalid_client.
// This module is the app factory (routes and protocol rules); index.ts wires it (docs/edge-functions.md).
import { type Database, DbError } from "../_shared/db.ts";
import { authConfig } from "../_shared/auth.ts";
import { hashClientSecret, pepper } from "../_shared/client-secret.ts";
import type { Context } from "hono";
import { SignJWT } from "jose";
import { createApp } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { keyRing, publicJwk } from "../_shared/signing-keys.ts";
import { getVerifier, requestIdOf } from "../_shared/auth.ts";

/** What the token endpoint needs: the isolate's database (called per request) and the environment. */
export type ServiceTokenDeps = {
  database: () => Database;
  /** CRYO_TOKEN_*, CRYO_CORS_ORIGINS, CRYO_RATE_LIMIT_* …; defaults to the process environment. */
  env?: Record<string, string | undefined>;
};

const ANON = { role: "anon" };

// RFC 6749 §5.1: tokens and errors are never cached.
const NO_STORE = { "Cache-Control": "no-store", "Pragma": "no-cache" };
// RFC 6749 appendix A: VSCHAR / NQCHAR sets.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const PRINTABLE = /^[\x20-\x7E]+$/;

type OAuthError =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "server_error"
  | "temporarily_unavailable";

class OAuthFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: OAuthError,
    readonly description: string,
    readonly headers = {},
  ) {
    super(description);
  }
}

function oauthError(c: Context, f: OAuthFailure): Response {
  return c.json({ error: f.error, error_description: f.description }, f.status as 400, { ...NO_STORE, ...f.headers });
}

/** The request's parameters, from a form-encoded or JSON body (strings only; repeated parameters refused). */
async function readParams(c: Context): Promise<Record<string, string>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const out: Record<string, string> = {};
  if (type === "application/x-www-form-urlencoded") {
    const form = new URLSearchParams(await c.req.text());
    for (const [k, v] of form) {
      if (k in out) throw new OAuthFailure(400, "invalid_request", `the parameter ${k} is repeated`);
      out[k] = v;
    }
    return out;
  }
  if (type === "application/json") {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new OAuthFailure(400, "invalid_request", "the body is not valid JSON");
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      throw new OAuthFailure(400, "invalid_request", "the body must be a JSON object");
    }
    for (const [k, v] of Object.entries(body)) {
      if (typeof v !== "string") throw new OAuthFailure(400, "invalid_request", `the parameter ${k} must be a string`);
      out[k] = v;
    }
    return out;
  }
  throw new OAuthFailure(
    400,
    "invalid_request",
    "the body must be application/x-www-form-urlencoded or application/json",
  );
}

type ClientAuth = { clientId: string; secret: string; basic: boolean };

/** The client's credentials, by exactly one method (RFC 6749 §2.3.1). */
function clientCredentials(c: Context, params: Record<string, string>): ClientAuth {
  const header = c.req.header("authorization");
  const inBody = params.client_id !== undefined || params.client_secret !== undefined;
  const basicChallenge = { "WWW-Authenticate": 'Basic realm="cryoprotect", charset="UTF-8"' };
  if (header) {
    const m = header.match(/^Basic +([A-Za-z0-9+/]+=*)$/i);
    if (!m) {
      throw new OAuthFailure(401, "invalid_client", "client authentication failed", basicChallenge);
    }
    if (inBody) throw new OAuthFailure(400, "invalid_request", "use one client authentication method, not two");
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(m[1]), (ch) => ch.charCodeAt(0)));
    } catch {
      throw new OAuthFailure(401, "invalid_client", "client authentication failed", basicChallenge);
    }
    const i = decoded.indexOf(":");
    let id = "", secret = "";
    try {
      id = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, " "));
      secret = decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, " "));
    } catch { /* malformed escapes: fails below like any wrong credential */ }
    if (i < 0 || !id || !secret) {
      throw new OAuthFailure(401, "invalid_client", "client authentication failed", basicChallenge);
    }
    return { clientId: id, secret, basic: true };
  }
  if (!params.client_id || !params.client_secret) {
    throw new OAuthFailure(401, "invalid_client", "client authentication failed", {
      "WWW-Authenticate": 'Basic realm="cryoprotect", charset="UTF-8"',
    });
  }
  return { clientId: params.client_id, secret: params.client_secret, basic: false };
}

function badClient(auth: ClientAuth): OAuthFailure {
  return new OAuthFailure(
    401,
    "invalid_client",
    "client authentication failed",
    auth.basic ? { "WWW-Authenticate": 'Basic realm="cryoprotect", charset="UTF-8"' } : {},
  );
}

/** The keyed hash of the presented secret; credentials that cannot be valid hash a fixed string (same work). */
async function presentedHash(auth: ClientAuth): Promise<{ id: string; hash: string }> {
  const p = pepper();
  if (!p) {
    log("error", "service-token: CRYO_CLIENT_SECRET_PEPPER is not set (or shorter than 32 characters)");
    throw new OAuthFailure(503, "temporarily_unavailable", "the token service is not configured", {
      "Retry-After": "60",
    });
  }
  const plausible = PRINTABLE.test(auth.clientId) && auth.clientId.length <= 64 && PRINTABLE.test(auth.secret) &&
    auth.secret.length <= 256;
  return {
    id: plausible ? auth.clientId : "cpc_invalid",
    hash: await hashClientSecret(plausible ? auth.secret : "-", p),
  };
}

function dbFailure(e: unknown): OAuthFailure {
  if (e instanceof OAuthFailure) return e;
  if (e instanceof DbError && e.pgCode === "22023") return new OAuthFailure(400, "invalid_scope", e.message);
  if (e instanceof DbError && e.status === 503) {
    return new OAuthFailure(503, "temporarily_unavailable", "retry later", {
      "Retry-After": e.headers["Retry-After"] ?? "5",
    });
  }
  log("warn", "service-token: failed", { error: e instanceof Error ? e.message : String(e) });
  return new OAuthFailure(500, "server_error", "the token could not be issued");
}

/**
 * The Hono app serving /service-token: the token, revocation and JWKS routes. Answers RFC 6749 §5.1/§5.2 bodies
 * with `Cache-Control: no-store`; throws at creation for a bad CORS, rate-limit or token variable.
 */
export function createServiceTokenApp({ database, env }: ServiceTokenDeps) {
  const cfg = authConfig(env);
  const app = createApp("/service-token", env);

  app.post("/", async (c) => {
    try {
      const params = await readParams(c);
      const auth = clientCredentials(c, params);
      if (!params.grant_type) throw new OAuthFailure(400, "invalid_request", "grant_type is required");
      if (params.grant_type !== "client_credentials") {
        throw new OAuthFailure(400, "unsupported_grant_type", "only the client_credentials grant is supported");
      }
      let requested: string[] | null = null;
      if (params.scope !== undefined) {
        requested = [...new Set(params.scope.split(" ").filter(Boolean))];
        if (
          !requested.length || requested.length > 50 || !requested.every((s) => SCOPE_TOKEN.test(s) && s.length <= 100)
        ) {
          throw new OAuthFailure(400, "invalid_scope", "scope must be space-separated scope names");
        }
      }
      const ring = await keyRing().catch((e) => {
        log("error", "service-token: signing keys unusable", { error: String(e?.message ?? e) });
        throw new OAuthFailure(503, "temporarily_unavailable", "the token service is not configured", {
          "Retry-After": "60",
        });
      });
      const { id, hash } = await presentedHash(auth);
      const jti = crypto.randomUUID();
      const rows = await database().queryAs<{ team_id: string; allowed_scopes: string[]; issued_at: string }[]>(
        ANON,
        (tx) =>
          tx`select team_id, allowed_scopes, issued_at from private.authenticate_service_client(
               ${id}, ${hash}, ${requestIdOf(c) ?? null}, ${jti},
               pg_catalog.string_to_array(${requested ? requested.join(" ") : null}, ' '))`,
        { requestId: requestIdOf(c) },
      ).catch((e) => {
        throw dbFailure(e);
      });
      if (!rows.length) throw badClient(auth);
      const { team_id, allowed_scopes } = rows[0];
      const granted = requested ? requested.filter((s) => allowed_scopes.includes(s)) : [...allowed_scopes];
      if (!granted.length) {
        throw new OAuthFailure(400, "invalid_scope", "none of the requested scopes is allowed for this client");
      }
      granted.sort();
      const iat = Number(rows[0].issued_at);
      const scope = granted.join(" ");
      const token = await new SignJWT({ client_id: auth.clientId, scope, team_id, role: "cryo_service" })
        .setProtectedHeader({ alg: "ES256", kid: ring.current.kid, typ: "at+jwt" })
        .setIssuer(cfg.serviceIssuer)
        .setSubject(auth.clientId)
        .setAudience(cfg.serviceAudience)
        .setIssuedAt(iat)
        .setExpirationTime(iat + cfg.ttlS)
        .setJti(jti)
        .sign(ring.current.key);
      return c.json({ access_token: token, token_type: "Bearer", expires_in: cfg.ttlS, scope }, 200, NO_STORE);
    } catch (e) {
      return oauthError(c, dbFailure(e));
    }
  });

  // RFC 7009. The answer is 200 whether or not the token was known, valid, expired or someone else's.
  app.post("/revoke", async (c) => {
    try {
      const params = await readParams(c);
      const auth = clientCredentials(c, params);
      if (!params.token) throw new OAuthFailure(400, "invalid_request", "token is required");
      // Only a token we signed names a jti and client worth recording; anything else has nothing to revoke
      // (the client's credentials are still checked, counted and audited by the database).
      let jti: string | null = null, tokenClient: string | null = null, exp: string | null = null;
      try {
        const p = await getVerifier().verify(params.token);
        if (p.kind === "service") {
          jti = String(p.claims.jti);
          tokenClient = String(p.claims.client_id);
          exp = new Date(Number(p.claims.exp) * 1000).toISOString();
        }
      } catch { /* not ours, or expired: nothing to revoke */ }
      const { id, hash } = await presentedHash(auth);
      await database().queryAs(
        ANON,
        (tx) =>
          tx`select private.revoke_service_token(${id}, ${hash}, ${jti}, ${tokenClient}, ${exp}::timestamptz) is null as done`,
        { requestId: requestIdOf(c) },
      ).catch((e) => {
        throw dbFailure(e);
      });
      return c.body(null, 200, NO_STORE);
    } catch (e) {
      return oauthError(c, dbFailure(e));
    }
  });

  app.get("/.well-known/jwks.json", async (c) => {
    try {
      const ring = await keyRing();
      // Five minutes: a standby key is published at least one rotation ahead, so a verifier that cached this
      // answer still knows the next current key; previous keys stay until their tokens expire.
      return c.json({ keys: ring.publicKeys.map(publicJwk) }, 200, { "Cache-Control": "public, max-age=300" });
    } catch {
      return c.json({ keys: [] }, 503, { "Cache-Control": "no-store", "Retry-After": "60" });
    }
  });

  return app;
}
