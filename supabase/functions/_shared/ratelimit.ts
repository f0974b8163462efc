// Per-caller fairness, so one client cannot take every request slot of an isolate from the others (the
// database module holds 4 connections and a queue of 64: a burst of one caller would fill it and get everyone
// shed with 503). Two limits per caller, both rate-limiter-flexible RateLimiterMemory counters:
//   CRYO_RATE_LIMIT_POINTS       requests a caller may start per window (default 300; 0 turns both limits off)
//   CRYO_RATE_LIMIT_WINDOW_S     window length in seconds (default 1)
//   CRYO_RATE_LIMIT_CONCURRENCY  requests of one caller in flight at once (default 16: a quarter of the queue)
// Over either: 429 RATE_LIMITED with Retry-After (seconds). The counts live in the isolate's memory: each
// isolate limits on its own (hosted runs several), a fairness guard rather than a quota.
// Memory: one small record per caller seen in the current window (or with a request in flight), dropped when
// its window ends, so it is bounded by the distinct callers per window: at most the request rate times it.
import { createHash } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { z } from "zod";
import { principalFor } from "./auth.ts";
import { errorBody } from "./errors.ts";

const Env = z.object({
  CRYO_RATE_LIMIT_POINTS: z.coerce.number().int().min(0).max(1_000_000).default(300),
  CRYO_RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).max(3600).default(1),
  CRYO_RATE_LIMIT_CONCURRENCY: z.coerce.number().int().min(1).max(100_000).default(16),
});

export type RateLimitConfig = { points: number; windowS: number; concurrency: number };

class RateLimitConfigError extends Error {}

/** The limit from the environment (empty variables mean unset); throws RateLimitConfigError naming a bad one. */
export function rateLimitConfig(env: Record<string, string | undefined> = Deno.env.toObject()): RateLimitConfig {
  const clean = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith("CRYO_RATE_LIMIT_") && v));
  const r = Env.safeParse(clean);
  if (!r.success) {
    throw new RateLimitConfigError(r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return {
    points: r.data.CRYO_RATE_LIMIT_POINTS,
    windowS: r.data.CRYO_RATE_LIMIT_WINDOW_S,
    concurrency: r.data.CRYO_RATE_LIMIT_CONCURRENCY,
  };
}

const digest = (s: string) => createHash("sha256").update(s).digest("base64url").slice(0, 22);

/**
 * Who is calling, as an opaque key: the verified identity of a user or service token (its `sub` / client id),
 * else the client address (first hop of x-forwarded-for, as the platform's gateway sets it; else the
 * connection's remote address). A token that does not verify, the public anon or publishable key, and an
 * apikey header all count against the address they came from: a client inventing a new token (or apikey) per
 * request gets no new allowance. The verification is the request's one (`principalFor`), which the route's
 * `authenticate()` then reuses.
 */
async function callerKey(c: Context): Promise<string> {
  try {
    const p = await principalFor(c);
    const id = p.kind === "service" ? p.claims.client_id ?? p.claims.sub : p.claims.sub;
    if (p.kind !== "anon" && typeof id === "string") return `${p.kind}:${digest(id)}`;
  } catch {
    // not verifiable here: counted against its address
  }
  const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
  if (forwarded) return `a:${forwarded}`;
  const remote = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr?.hostname;
  return remote ? `a:${remote}` : "a:unknown";
}

// A request in flight holds one point of the concurrency counter until it ends (given back then); the long
// window only bounds how long a point lost to a crash could stay taken.
const IN_FLIGHT_WINDOW_S = 60;

/** Middleware enforcing `cfg` per callerKey(); a no-op when cfg.points is 0. */
export function rateLimit(cfg: RateLimitConfig): MiddlewareHandler {
  if (cfg.points === 0) return async (_c, next) => await next();
  const rate = new RateLimiterMemory({ points: cfg.points, duration: cfg.windowS });
  const inFlight = new RateLimiterMemory({ points: cfg.concurrency, duration: IN_FLIGHT_WINDOW_S });
  const limited = (c: Context, retryAfterS: number, what: string) =>
    c.json(
      errorBody("RATE_LIMITED", `${what}; retry after ${retryAfterS} s`),
      429,
      { "Retry-After": String(retryAfterS) },
    );
  return async (c, next) => {
    const key = await callerKey(c);
    try {
      await rate.consume(key);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      return limited(c, Math.max(1, Math.ceil(e.msBeforeNext / 1000)), "too many requests from this caller");
    }
    try {
      await inFlight.consume(key);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      return limited(c, 1, `more than ${cfg.concurrency} requests of this caller at once`);
    }
    try {
      await next();
    } finally {
      await inFlight.reward(key);
    }
  };
}
