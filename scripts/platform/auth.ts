// Local emulation of the four Supabase Auth (GoTrue) endpoints supabase-js calls for email/password users, so
// that a browser app signs in against the local stack exactly as against a hosted project. Local platform
// emulation only, like the rest of scripts/platform/: the functions server (scripts/functions-server.ts) mounts
// it at /auth/v1/ when CRYO_ENV=local and refuses those paths otherwise; nothing here is deployed.
//
//   POST /auth/v1/token?grant_type=password       { email, password }   → session (200) | 400 invalid_credentials
//   POST /auth/v1/token?grant_type=refresh_token  { refresh_token }     → new session, the old refresh token spent
//                                                                          | 400 refresh_token_not_found
//   GET  /auth/v1/user                            Authorization: Bearer → user (200) | 401 bad_jwt / 403 session_not_found
//   POST /auth/v1/logout?scope=local|global|others Authorization: Bearer → 204 (the session's refresh tokens die)
//
// Users: the seeded demo users (scripts/seed/demo.json; the seed writes the same ids into auth.users), all with
// the one local password DEMO_PASSWORD. Access tokens have the claims of `npm run token` (scripts/lib/
// user-claims.mjs), signed ES256 by the local key that the functions verify (.local/keys/signing_key.json).
// Sessions and refresh tokens live in this process's memory: a restart of the server signs everyone out (access
// tokens already issued stay valid until they expire, as on hosted Auth).
import { createLocalJWKSet, importJWK, type JSONWebKeySet, type JWK, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { DEMO_PASSWORD, userClaims } from "../lib/user-claims.mjs";

export { DEMO_PASSWORD };

/** A user the emulation knows: id and email as seeded (scripts/seed/demo.json → auth.users). */
export type LocalUser = { id: string; email: string; display_name?: string };

export type LocalAuthOptions = {
  /** The token issuer, `${SUPABASE_URL}/auth/v1` (what `npm run token` puts in `iss`). */
  issuer: string;
  /** The local ES256 private key (JWK with kid). */
  signingKey: JWK;
  /** The published JWKS, to verify the bearer tokens of /user and /logout. */
  jwks: JSONWebKeySet;
  users: LocalUser[];
  /** Access-token lifetime in seconds (GoTrue's default: 3600). */
  accessTtl?: number;
};

type Session = { id: string; user: LocalUser; refreshToken: string; createdAt: string };

// GoTrue's error body for API version 2024-01-01 (auth-js reads `code` once the response names that version).
const API_VERSION = "2024-01-01";
const PasswordGrant = z.object({ email: z.string().min(1).max(320), password: z.string().max(1000) });
const RefreshGrant = z.object({ refresh_token: z.string().min(1).max(200) });

/**
 * localAuth(options) → (req: Request) => Promise<Response> for requests whose path starts with /auth/v1/.
 * Every answer carries CORS headers for any origin (a browser app on another local port calls it; callers
 * send tokens in headers, never cookies) and `X-Supabase-Api-Version`. Errors are GoTrue-shaped:
 * `{ code, error_code, msg }` with 400/401/403/404/405.
 */
export function localAuth(opts: LocalAuthOptions): (req: Request) => Promise<Response> {
  const accessTtl = opts.accessTtl ?? 3600;
  const byEmail = new Map(opts.users.map((u) => [u.email.toLowerCase(), u]));
  const sessions = new Map<string, Session>();
  const byRefresh = new Map<string, string>(); // refresh token → session id
  const jwks = createLocalJWKSet(opts.jwks);
  const keyPromise = importJWK(opts.signingKey, "ES256");

  const cors = (req: Request): Record<string, string> => ({
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": req.headers.get("access-control-request-headers") ??
      "authorization, apikey, content-type, x-client-info, x-supabase-api-version",
    "access-control-expose-headers": "x-supabase-api-version",
    "access-control-max-age": "86400",
  });
  const reply = (req: Request, status: number, body?: unknown) =>
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: {
        ...cors(req),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        "x-supabase-api-version": API_VERSION,
      },
    });
  const fail = (req: Request, status: number, code: string, msg: string) =>
    reply(req, status, { code, error_code: code, msg });

  const userJson = (u: LocalUser, at: string) => ({
    id: u.id,
    aud: "authenticated",
    role: "authenticated",
    email: u.email,
    email_confirmed_at: at,
    phone: "",
    confirmed_at: at,
    last_sign_in_at: at,
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: u.display_name ? { full_name: u.display_name } : {},
    identities: [],
    created_at: at,
    updated_at: at,
    is_anonymous: false,
  });

  async function issue(session: Session) {
    const now = Math.floor(Date.now() / 1000);
    const claims = userClaims({ sub: session.user.id, email: session.user.email, sessionId: session.id });
    const accessToken = await new SignJWT({ iss: opts.issuer, iat: now, exp: now + accessTtl, ...claims })
      .setProtectedHeader({ alg: "ES256", kid: opts.signingKey.kid, typ: "JWT" })
      .sign(await keyPromise);
    return {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: accessTtl,
      expires_at: now + accessTtl,
      refresh_token: session.refreshToken,
      user: userJson(session.user, session.createdAt),
    };
  }

  function newRefreshToken(sessionId: string) {
    const token = crypto.randomUUID().replaceAll("-", "");
    byRefresh.set(token, sessionId);
    return token;
  }

  async function bearerSession(req: Request): Promise<Session | Response> {
    const m = (req.headers.get("authorization") ?? "").match(/^Bearer (\S+)$/i);
    if (!m) return fail(req, 401, "no_authorization", "This endpoint requires a Bearer token");
    try {
      const { payload } = await jwtVerify(m[1], jwks, { issuer: opts.issuer, algorithms: ["ES256"] });
      const s = typeof payload.session_id === "string" ? sessions.get(payload.session_id) : undefined;
      if (!s || s.user.id !== payload.sub) {
        return fail(req, 403, "session_not_found", "Session from session_id claim in JWT does not exist");
      }
      return s;
    } catch {
      return fail(req, 401, "bad_jwt", "invalid JWT: unable to parse or verify signature");
    }
  }

  async function body(req: Request): Promise<unknown> {
    try {
      return await req.json();
    } catch {
      return null;
    }
  }

  return async (req: Request): Promise<Response> => {
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: cors(req) });
    const url = new URL(req.url);
    const path = url.pathname.replace(/\/+$/, "");

    if (path === "/auth/v1/token") {
      if (req.method !== "POST") return fail(req, 405, "method_not_allowed", "use POST");
      const grant = url.searchParams.get("grant_type");
      if (grant === "password") {
        const p = PasswordGrant.safeParse(await body(req));
        const user = p.success ? byEmail.get(p.data.email.trim().toLowerCase()) : undefined;
        if (!p.success || !user || p.data.password !== DEMO_PASSWORD) {
          return fail(req, 400, "invalid_credentials", "Invalid login credentials");
        }
        const id = crypto.randomUUID();
        const session: Session = { id, user, refreshToken: newRefreshToken(id), createdAt: new Date().toISOString() };
        sessions.set(id, session);
        return reply(req, 200, await issue(session));
      }
      if (grant === "refresh_token") {
        const p = RefreshGrant.safeParse(await body(req));
        const sid = p.success ? byRefresh.get(p.data.refresh_token) : undefined;
        const session = sid ? sessions.get(sid) : undefined;
        if (!p.success || !session) {
          return fail(req, 400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        }
        // Rotation: the presented token is spent.
        byRefresh.delete(p.data.refresh_token);
        session.refreshToken = newRefreshToken(session.id);
        return reply(req, 200, await issue(session));
      }
      return fail(
        req,
        400,
        "unsupported_grant_type",
        "the local Auth emulation supports grant_type=password and refresh_token only",
      );
    }

    if (path === "/auth/v1/user") {
      if (req.method !== "GET") return fail(req, 405, "method_not_allowed", "use GET");
      const s = await bearerSession(req);
      if (s instanceof Response) return s;
      return reply(req, 200, userJson(s.user, s.createdAt));
    }

    if (path === "/auth/v1/logout") {
      if (req.method !== "POST") return fail(req, 405, "method_not_allowed", "use POST");
      const s = await bearerSession(req);
      if (s instanceof Response) return s;
      const scope = url.searchParams.get("scope") ?? "global";
      if (!["global", "local", "others"].includes(scope)) {
        return fail(req, 400, "validation_failed", "scope must be global, local or others");
      }
      const doomed = scope === "local"
        ? [s]
        : [...sessions.values()].filter((o) => o.user.id === s.user.id && (scope === "global" || o.id !== s.id));
      for (const d of doomed) {
        sessions.delete(d.id);
        for (const [t, sid] of byRefresh) if (sid === d.id) byRefresh.delete(t);
      }
      return reply(req, 204);
    }

    return fail(
      req,
      404,
      "not_found",
      "the local Auth emulation answers only /auth/v1/token (password, refresh_token), /auth/v1/user and /auth/v1/logout",
    );
  };
}
