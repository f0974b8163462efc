// Per-caller fairness: a fixed-window request limit per caller (rate-limiter-flexible's RateLimiterMemory), so
// one client cannot take every request slot of an isolate from the others. Over the limit: 429 RATE_LIMITED
// with Retry-After (seconds). The count lives in the isolate's memory: each isolate limits on its own (hosted
// runs several), so the effective limit is per isolate, a fairness guard rather than a quota.
//   CRYO_RATE_LIMIT_POINTS    requests a caller may make per window (default 300; 0 turns the limit off)
//   CRYO_RATE_LIMIT_WINDOW_S  window length in seconds (default 1)
// Memory: one small record per caller seen in the current window, dropped when its window ends, so it is
// bounded by (distinct callers per window) - at most the isolate's request rate times the window.
import { createHash } from "node:crypto";
import type { Context, MiddlewareHandler } from "./deps.ts";
import { RateLimiterMemory, RateLimiterRes, z } from "./deps.ts";
import { errorBody } from "./errors.ts";

const Env = z.object({
  CRYO_RATE_LIMIT_POINTS: z.coerce.number().int().min(0).max(1_000_000).default(300),
  CRYO_RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).max(3600).default(1),
});

export type RateLimitConfig = { points: number; windowS: number };

export class RateLimitConfigError extends Error {}

/** The limit from the environment (empty variables mean unset); throws RateLimitConfigError naming a bad one. */
export function rateLimitConfig(env: Record<string, string | undefined> = Deno.env.toObject()): RateLimitConfig {
  const clean = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("CRYO_RATE_LIMIT_") && v));
  const r = Env.safeParse(clean);
  if (!r.success) {
    throw new RateLimitConfigError(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return { points: r.data.CRYO_RATE_LIMIT_POINTS, windowS: r.data.CRYO_RATE_LIMIT_WINDOW_S };
}

const digest = (s: string) => createHash("sha256").update(s).digest("base64url").slice(0, 22);

/**
 * Who is calling, as an opaque key: a hash of the Authorization bearer token, else of the apikey header, else
 * the client address (first hop of x-forwarded-for, as set by the platform's gateway; else the connection's
 * remote address). Secrets are never kept, only their hashes.
 */
export function callerKey(c: Context): string {
  const auth = c.req.header("authorization");
  const bearer = auth?.match(/^bearer\s+(\S+)/i)?.[1];
  if (bearer) return `t:${digest(bearer)}`;
  const apikey = c.req.header("apikey");
  if (apikey) return `k:${digest(apikey)}`;
  const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
  if (forwarded) return `a:${forwarded}`;
  const remote = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname;
  return remote ? `a:${remote}` : "a:unknown";
}

/** Middleware enforcing `cfg` per callerKey(); a no-op when cfg.points is 0. */
export function rateLimit(cfg: RateLimitConfig): MiddlewareHandler {
  if (cfg.points === 0) return async (_c, next) => await next();
  const limiter = new RateLimiterMemory({ points: cfg.points, duration: cfg.windowS });
  return async (c, next) => {
    try {
      await limiter.consume(callerKey(c));
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      const retryAfter = String(Math.max(1, Math.ceil(e.msBeforeNext / 1000)));
      return c.json(
        errorBody("RATE_LIMITED", `too many requests from this caller; retry after ${retryAfter} s`),
        429,
        { "Retry-After": retryAfter },
      );
    }
    await next();
  };
}
