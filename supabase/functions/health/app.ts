// The health function as an app factory: routes and validation only, everything it needs handed in, so tests
// run it in-process with `app.request()` against any database (the test stack's pooler, a dead port) and
// index.ts wires the real one. The shape every function copies (docs/edge-functions.md).
//
// GET /health          liveness: one database round trip through the pooler, and the pool summary
//                      (no server version, no addresses: a failure says only its code)
// GET /health/metrics  Prometheus text: pool, transactions, errors, retries, breaker (a service token with the
//                      scope metrics:read)
// GET /health/ping     the smallest pooled transaction, as the caller's token says (anon without one; what load
//                      tests and the token benchmark measure)
// A probe takes no parameters: an unexpected one is 400 INVALID_INPUT, not silently ignored.
import { z } from "zod";
import { authenticate, principalOf, requestIdOf, requireScope } from "../_shared/auth.ts";
import { type Database, DbError } from "../_shared/db.ts";
import { errorBody } from "../_shared/errors.ts";
import { createApp } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { registry } from "../_shared/metrics.ts";
import { validate } from "../_shared/validation.ts";

/** What the health app needs: the isolate's database (called per request, created lazily) and the environment. */
export type HealthDeps = {
  database: () => Database;
  /** CRYO_CORS_ORIGINS, CRYO_RATE_LIMIT_* (see _shared/http.ts); defaults to the process environment. */
  env?: Record<string, string | undefined>;
};

const ANON = { role: "anon" };
const NoParams = z.strictObject({});

/**
 * The Hono app serving /health. Answers JSON (`{ status, database: { reachable, latency_ms }, pool }`, or 503
 * DB_UNAVAILABLE with `cause` and Retry-After in seconds) and Prometheus text at /health/metrics. Throws at
 * creation for a bad CORS or rate-limit variable.
 */
export function createHealthApp({ database, env }: HealthDeps) {
  const app = createApp("/health", env);

  app.get("/", validate("query", NoParams), async (c) => {
    const started = performance.now();
    let db: Database | undefined;
    try {
      db = database();
      await db.queryAs(ANON, (tx) => tx`select 1`, { readOnly: true });
      const latency_ms = Math.round((performance.now() - started) * 100) / 100;
      return c.json({ status: "ok", database: { reachable: true, latency_ms }, pool: db.summary() });
    } catch (e) {
      // The cause (which can name the pooler's address) goes to the log; the caller gets the code only.
      log("warn", "health: database unreachable", { error: e instanceof Error ? e.message : String(e) });
      const retryAfter = e instanceof DbError ? e.headers["Retry-After"] ?? "5" : "5";
      return c.json(
        {
          status: "unavailable",
          ...errorBody("DB_UNAVAILABLE", "the database is unreachable through the pooler"),
          ...(e instanceof DbError ? { cause: e.code } : {}),
          ...(db ? { pool: db.summary() } : {}),
        },
        503,
        { "Retry-After": retryAfter },
      );
    }
  });

  app.get("/metrics", validate("query", NoParams), authenticate({ required: true }), async (c) => {
    requireScope(principalOf(c), "metrics:read");
    // No transaction here (metrics must answer while the database is away), so no liveness check either: a
    // revoked metrics token keeps reading metrics until it expires (CRYO_TOKEN_TTL_S, 15 min by default).
    database(); // registers the pool gauges and breaker state even before the first query
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  });

  app.get("/ping", validate("query", NoParams), authenticate(), async (c) => {
    const [row] = await database().queryAs<{ ok: number }[]>(principalOf(c).claims, (tx) => tx`select 1 as ok`, {
      readOnly: true,
      requestId: requestIdOf(c),
    });
    return c.json({ ok: row.ok === 1 });
  });

  return app;
}
