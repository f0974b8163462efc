// CORS for browser clients of every function (Hono's `cors` middleware). Callers authenticate with a bearer
// token or an apikey header, never with cookies, so any origin may call by default; CRYO_CORS_ORIGINS narrows
// it to a comma-separated list of origins (e.g. "https://app.example.org,http://localhost:3000").
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/**
 * The request headers supabase-js sends (as Supabase's own functions allow), and If-None-Match for clients
 * that revalidate an ETag themselves (the toxicity API's GETs).
 */
export const CORS_ALLOW_HEADERS = ["authorization", "x-client-info", "apikey", "content-type", "if-none-match"];
const CORS_ALLOW_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/**
 * Response headers a browser script may read: how long to back off, the error codes' content type, and the
 * toxicity API's ETag, cache status and CSV file name.
 */
export const CORS_EXPOSE_HEADERS = [
  "retry-after",
  "content-type",
  "x-request-id",
  "www-authenticate",
  "etag",
  "x-cache",
  "x-cache-hits",
  "content-disposition",
];

class CorsConfigError extends Error {}

/**
 * `"*"` or the list of allowed origins from CRYO_CORS_ORIGINS (unset or empty: `"*"`). Throws CorsConfigError
 * for an entry that is not an http(s) origin (scheme://host[:port], no path), so a typo fails the deploy.
 */
export function corsOrigins(env: Record<string, string | undefined> = Deno.env.toObject()): "*" | string[] {
  const raw = (env.CRYO_CORS_ORIGINS ?? "").trim();
  if (raw === "" || raw === "*") return "*";
  return raw.split(",").map((o) => o.trim()).filter(Boolean).map((o) => {
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      throw new CorsConfigError(`CRYO_CORS_ORIGINS: "${o}" is not an origin`);
    }
    if (!/^https?:$/.test(u.protocol) || u.origin !== o.replace(/\/$/, "")) {
      throw new CorsConfigError(`CRYO_CORS_ORIGINS: "${o}" is not an origin (scheme://host[:port], nothing after)`);
    }
    return u.origin;
  });
}

/**
 * Middleware: answers preflight `OPTIONS` with 204 and the Allow-Origin/Methods/Headers, and adds
 * Access-Control-Allow-Origin to every other response, errors included (mount it first).
 */
export function corsMiddleware(env: Record<string, string | undefined> = Deno.env.toObject()): MiddlewareHandler {
  return cors({
    origin: corsOrigins(env),
    allowMethods: CORS_ALLOW_METHODS,
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: 86400,
  });
}
