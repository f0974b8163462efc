// The one verifier of bearer tokens, used by every function. A token is one of:
//   - a Supabase Auth user token (issuer `${SUPABASE_URL}/auth/v1`, audience "authenticated", ES256/RS256,
//     verified against the project's JWKS, fetched once and refetched on an unknown kid at most every 30 s);
//   - the anon key (a JWT of the same issuer with role "anon"), which acts as role anon;
//   - one of our service tokens (issuer CRYO_TOKEN_ISSUER, audience CRYO_TOKEN_AUDIENCE, ES256 only, header
//     typ at+jwt, verified against our own key ring, see signing-keys.ts).
// Anything else (no `none`, no HS256, no other issuer or role, service_role included) is 401 invalid_token.
// Algorithms are pinned per issuer, so a token cannot pick how it is checked (no HS/ES confusion).
//
// Verifying ES256 costs more CPU than a whole indexed query (../../../docs/tokens.md), so verified tokens are
// cached by the SHA-256 of the token, each entry until the token's own exp and never longer. Revocation does
// not go through this cache: every transaction of a service token asserts in the database that the token is
// still live (private.assert_service_token_live(), in the statement that sets the claims, see db/session.ts).
import type { Context, MiddlewareHandler } from "hono";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors as joseErrors,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { createHash } from "node:crypto";
import { ApiError } from "./errors.ts";
import { type KeyRing, keyRing } from "./signing-keys.ts";
import { logThrottled } from "./log.ts";

export type PrincipalKind = "anon" | "user" | "service";

/** Who is calling, as proven by the token: the claims the database module sets, and the granted scopes. */
export type Principal = {
  kind: PrincipalKind;
  /** The verified payload (role anon / authenticated / cryo_service): what `request.jwt.claims` becomes. */
  claims: Record<string, unknown> & { role: string };
  /** Service scopes (empty for users and anon). */
  scopes: ReadonlySet<string>;
};

export const ANON: Principal = Object.freeze({ kind: "anon", claims: { role: "anon" }, scopes: new Set<string>() });

const AuthEnv = z.object({
  SUPABASE_URL: z.string().url().default("http://127.0.0.1:54321"),
  CRYO_TOKEN_ISSUER: z.string().url().optional(),
  CRYO_TOKEN_AUDIENCE: z.string().min(1).default("cryoprotect-api"),
  CRYO_TOKEN_TTL_S: z.coerce.number().int().min(60).max(86400).default(900),
  CRYO_CLOCK_SKEW_S: z.coerce.number().int().min(0).max(300).default(30),
  CRYO_AUTH_CACHE_MAX: z.coerce.number().int().min(0).max(1_000_000).default(10000),
});

export type AuthConfig = {
  /**
   * The project's public keys, accepted as role anon by exact match, never verified as JWTs: the legacy anon
   * key (SUPABASE_ANON_KEY, an HS256 JWT we hold no secret for) and publishable keys (SUPABASE_PUBLISHABLE_KEY,
   * SUPABASE_PUBLISHABLE_KEYS: a JSON map of named keys), which clients may send as a bearer token.
   */
  anonKeys: ReadonlySet<string>;
  supabaseIssuer: string;
  supabaseJwksUrl: URL;
  serviceIssuer: string;
  serviceAudience: string;
  ttlS: number;
  skewS: number;
  cacheMax: number;
};

/** Reads the auth settings (see docs/tokens.md); throws ApiError-free plain Error on bad values. */
export function authConfig(env: Record<string, string | undefined> = Deno.env.toObject()): AuthConfig {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const e = AuthEnv.parse(clean);
  const base = e.SUPABASE_URL.replace(/\/+$/, "");
  const anonKeys = new Set<string>();
  for (const k of ["SUPABASE_ANON_KEY", "SUPABASE_PUBLISHABLE_KEY"]) if (clean[k]) anonKeys.add(clean[k]!);
  if (clean.SUPABASE_PUBLISHABLE_KEYS) {
    try {
      for (const v of Object.values(JSON.parse(clean.SUPABASE_PUBLISHABLE_KEYS))) {
        if (typeof v === "string" && v) anonKeys.add(v);
      }
    } catch {
      throw new Error("SUPABASE_PUBLISHABLE_KEYS is not a JSON object of keys");
    }
  }
  return {
    anonKeys,
    supabaseIssuer: `${base}/auth/v1`,
    supabaseJwksUrl: new URL(`${base}/auth/v1/.well-known/jwks.json`),
    serviceIssuer: e.CRYO_TOKEN_ISSUER ?? `${base}/functions/v1/service-token`,
    serviceAudience: e.CRYO_TOKEN_AUDIENCE,
    ttlS: e.CRYO_TOKEN_TTL_S,
    skewS: e.CRYO_CLOCK_SKEW_S,
    cacheMax: e.CRYO_AUTH_CACHE_MAX,
  };
}

/** 401 with RFC 6750 §3.1's challenge: `error="invalid_token"` when a token was presented, bare otherwise. */
export function unauthorized(description?: string): ApiError {
  const header = description === undefined
    ? 'Bearer realm="cryoprotect"'
    : `Bearer realm="cryoprotect", error="invalid_token", error_description="${description.replace(/["\\]/g, "")}"`;
  return new ApiError(
    401,
    description === undefined ? "unauthorized" : "invalid_token",
    description ?? "this request needs a bearer token",
    undefined,
    { "WWW-Authenticate": header },
  );
}

/** 403 insufficient_scope naming the scope that is missing (RFC 6750 §3.1). */
export function insufficientScope(scope: string): ApiError {
  return new ApiError(403, "insufficient_scope", `this request needs the scope ${scope}`, { scope }, {
    "WWW-Authenticate": `Bearer realm="cryoprotect", error="insufficient_scope", scope="${scope}"`,
  });
}

const SERVICE_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "team_id", "role"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class Verifier {
  private remote: JWTVerifyGetKey;
  private local: { version: string; get: JWTVerifyGetKey } | undefined;
  private cache: LRUCache<string, Principal & { exp: number }> | undefined;
  private cacheVersion = "";
  /** Counters for the benchmark and tests: verifications that ran, and cache hits. */
  readonly stats = { verified: 0, cached: 0 };

  constructor(readonly cfg: AuthConfig, private ring: () => Promise<KeyRing> = () => keyRing()) {
    // jose fetches the JWKS on first use, keeps it 10 min, and on an unknown kid refetches at most every 30 s.
    this.remote = createRemoteJWKSet(cfg.supabaseJwksUrl, {
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
      timeoutDuration: 3000,
    });
    if (cfg.cacheMax > 0) this.cache = new LRUCache({ max: cfg.cacheMax });
  }

  /**
   * The principal of an `Authorization` header value: ANON when there is none; 401 ApiError (invalid_token)
   * for anything that is not a valid token of a known issuer.
   */
  async authenticate(authorization: string | null | undefined): Promise<Principal> {
    if (authorization === null || authorization === undefined || authorization === "") return ANON;
    const m = authorization.match(/^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i);
    if (!m) throw unauthorized("the Authorization header must be: Bearer <token>");
    if (this.cfg.anonKeys.has(m[1])) return ANON;
    return await this.verify(m[1]);
  }

  /** Verifies a compact JWT (see the module comment). Throws 401 ApiError invalid_token. */
  async verify(token: string): Promise<Principal> {
    let ring: KeyRing | undefined;
    try {
      ring = await this.ring();
    } catch {
      ring = undefined; // no service keys configured: service tokens cannot verify, user tokens still can
    }
    const key = this.cache ? sha256(token) : "";
    if (this.cache) {
      if (ring && ring.version !== this.cacheVersion) {
        // A rotation that drops a key must drop the tokens it signed, too.
        this.cache.clear();
        this.cacheVersion = ring.version;
      }
      const hit = this.cache.get(key);
      if (hit && hit.exp * 1000 > Date.now()) {
        this.stats.cached++;
        return hit;
      }
    }
    const p = await this.verifyUncached(token, ring);
    this.stats.verified++;
    const exp = p.claims.exp as number;
    const ttl = exp * 1000 - Date.now();
    if (this.cache && ttl > 0) this.cache.set(key, { ...p, exp }, { ttl });
    return p;
  }

  private async verifyUncached(token: string, ring: KeyRing | undefined): Promise<Principal> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw unauthorized("the token is not a JWT");
    }
    const cfg = this.cfg;
    const now = Math.floor(Date.now() / 1000);
    try {
      if (unverified.iss === cfg.serviceIssuer) {
        if (!ring) throw unauthorized("service tokens cannot be verified here");
        if (this.local?.version !== ring.version) {
          this.local = { version: ring.version, get: createLocalJWKSet({ keys: ring.publicKeys }) };
        }
        const { payload } = await jwtVerify(token, this.local.get, {
          algorithms: ["ES256"],
          issuer: cfg.serviceIssuer,
          audience: cfg.serviceAudience,
          typ: "at+jwt",
          clockTolerance: cfg.skewS,
          requiredClaims: SERVICE_CLAIMS,
        });
        if (payload.role !== "cryo_service" || payload.sub !== payload.client_id || typeof payload.scope !== "string") {
          throw unauthorized("the token's claims are not those of a service token");
        }
        if (typeof payload.team_id !== "string" || !UUID.test(payload.team_id)) throw unauthorized("bad team_id");
        if ((payload.iat as number) > now + cfg.skewS) throw unauthorized("the token was issued in the future");
        const scopes = new Set(payload.scope.split(" ").filter(Boolean));
        return { kind: "service", claims: payload as Principal["claims"], scopes };
      }
      if (unverified.iss === cfg.supabaseIssuer) {
        const { payload } = await jwtVerify(token, this.remote, {
          algorithms: ["ES256", "RS256"],
          issuer: cfg.supabaseIssuer,
          clockTolerance: cfg.skewS,
          requiredClaims: ["exp", "role"],
        });
        if (payload.role === "anon") {
          return { kind: "anon", claims: { ...payload, role: "anon" }, scopes: new Set() };
        }
        if (payload.role === "authenticated") {
          const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
          if (!aud.includes("authenticated")) throw unauthorized("the token's audience is not this API");
          if (typeof payload.sub !== "string" || !UUID.test(payload.sub)) throw unauthorized("the token has no user");
          return { kind: "user", claims: payload as Principal["claims"], scopes: new Set() };
        }
        throw unauthorized("tokens of this role are not accepted");
      }
      throw unauthorized("unknown token issuer");
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw unauthorized(describeJoseError(e));
    }
  }
}

function describeJoseError(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return "the token has expired";
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${e.claim} claim is not valid`;
  if (e instanceof joseErrors.JWKSNoMatchingKey) return "the token's key is unknown";
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return "the token's algorithm is not accepted";
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature is not valid";
  if (e instanceof joseErrors.JWKSTimeout || !(e instanceof joseErrors.JOSEError)) {
    logThrottled("jwks-fail", 5000, "warn", "token verification failed unexpectedly", { error: String(e) });
  }
  return "the token is not valid";
}

// Synchronous (node:crypto): WebCrypto's digest is a promise that costs more than the cache lookup it keys.
function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

let verifier: Verifier | undefined;

/** The isolate's verifier, configured from the environment on first use. */
export function getVerifier(): Verifier {
  if (!verifier) verifier = new Verifier(authConfig());
  return verifier;
}

/**
 * Middleware: verifies the Authorization header and stores the principal (`c.get("principal")`).
 * `required`: a request without a token gets 401 (else it acts as anon). A request refused with 403 (a valid
 * token without the right scope or role) is recorded in the audit log as `request_denied`, as the caller,
 * before the 403 goes out. 401s are only logged: an unauthenticated caller must not be able to make the
 * database write.
 */
export function authenticate(opts: { required?: boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    if (!c.req.header("authorization") && opts.required) throw unauthorized();
    let p: Principal;
    try {
      p = await principalFor(c);
    } catch (e) {
      logThrottled("auth-401", 1000, "info", "request refused: invalid token", {
        path: c.req.path,
        reason: e instanceof Error ? e.message : String(e),
      });
      throw e;
    }
    c.set("principal" as never, p as never);
    // Hono hands a handler's error to onError and leaves it in c.error; next() does not throw it.
    await next();
    if (c.error instanceof ApiError && c.error.status === 403) await recordDenied(p, c.error, c);
  };
}

async function recordDenied(p: Principal, e: ApiError, c: Context) {
  try {
    // Imported lazily: the verifier itself must not need the database module.
    const { database } = await import("./db.ts");
    const detail = JSON.stringify({ path: c.req.path, method: c.req.method, code: e.code, details: e.details ?? null });
    await database().queryAs(
      p.claims,
      (tx) => tx`select private.record_request_denied(${e.code}, ${detail}::jsonb) is null as done`,
      { requestId: requestIdOf(c) },
    );
  } catch (err) {
    logThrottled("deny-audit", 5000, "warn", "could not record a denied request", { error: String(err) });
  }
}

/**
 * The caller of this request as the Authorization header says (anon without one), verified once per request:
 * the outcome (a principal, or the 401 ApiError) is kept on the context, so the rate limiter, which keys
 * callers by it, and `authenticate()` after it share one verification, a failed one included (the verifier
 * caches successes only).
 */
export function principalFor(c: Context): Promise<Principal> {
  let outcome = c.get("authOutcome" as never) as Promise<Principal> | undefined;
  if (!outcome) {
    outcome = (async () => await getVerifier().authenticate(c.req.header("authorization")))();
    outcome.catch(() => {}); // a refusal is handled by whoever awaits it
    c.set("authOutcome" as never, outcome as never);
  }
  return outcome;
}

/** The principal stored by `authenticate()` (anon when the middleware did not run). */
export function principalOf(c: Context): Principal {
  return (c.get("principal" as never) as Principal | undefined) ?? ANON;
}

/**
 * Throws 403 insufficient_scope unless the caller is a service token granted `scope` (a `<resource>:write`
 * grant also satisfies `<resource>:read`, as in the database's private.service_has_scope).
 */
export function requireScope(p: Principal, scope: string): void {
  if (p.kind !== "service") throw insufficientScope(scope);
  const [res, action] = scope.split(":");
  if (p.scopes.has(scope) || (action === "read" && p.scopes.has(`${res}:write`))) return;
  throw insufficientScope(scope);
}

/** The request id set by createApp (http.ts), for the database's `cryo.request_id` and the audit log. */
export function requestIdOf(c: Context): string | undefined {
  return c.get("requestId" as never) as string | undefined;
}
