// The one way a function makes its Hono app, so every function gets the same HTTP basics: its base path with
// or without a trailing slash, CORS (preflights and headers on every response, errors included), the
// per-caller rate limit, and JSON errors `{ error: { code, message } }` that never carry internals.
import { type Context, Hono } from "hono";
import { corsMiddleware } from "./cors.ts";
import { ApiError, errorBody, notFound, onError } from "./errors.ts";
import { log } from "./log.ts";
import { rateLimit, rateLimitConfig } from "./ratelimit.ts";

/** What a 5xx says to callers; the cause goes to the logs only (it can name hosts, ports or versions). */
const PUBLIC_5XX: Record<number, string> = {
  500: "internal error",
  502: "an upstream service failed",
  503: "the service is temporarily unavailable; retry later",
  504: "the request took too long; retry later",
};

/**
 * Errors to responses: 4xx keep their message (it is about the caller's input); a 5xx keeps its code and
 * headers (Retry-After) but gets a generic message, its details logged.
 */
function publicError(err: Error, c: Context): Response {
  if (err instanceof ApiError && err.status >= 500) {
    log("warn", "request failed", { code: err.code, status: err.status, error: err.message, path: c.req.path });
    const message = PUBLIC_5XX[err.status] ?? PUBLIC_5XX[500];
    return c.json(errorBody(err.code, message), err.status as 500, err.headers);
  }
  return onError(err, c);
}

/**
 * A Hono app serving `basePath` (e.g. "/health"), with CORS first (so even 429s and errors carry
 * Access-Control-Allow-Origin), then the rate limit, not-found and error handlers. Reads CRYO_CORS_ORIGINS and
 * CRYO_RATE_LIMIT_* from `env` now, so a bad value fails when the function loads. Throws CorsConfigError or
 * RateLimitConfigError for bad values.
 */
export function createApp(basePath: string, env: Record<string, string | undefined> = Deno.env.toObject()) {
  const app = new Hono({ strict: false }).basePath(basePath);
  // Every request gets a fresh id (never the caller's: the audit log must not carry ids a caller chose),
  // returned as X-Request-Id and recorded as cryo.request_id by the transactions it runs.
  app.use("*", async (c, next) => {
    const id = crypto.randomUUID();
    c.set("requestId" as never, id as never);
    await next();
    c.res.headers.set("X-Request-Id", id);
  });
  app.use("*", corsMiddleware(env));
  app.use("*", rateLimit(rateLimitConfig(env)));
  app.notFound(notFound);
  app.onError(publicError);
  return app;
}
