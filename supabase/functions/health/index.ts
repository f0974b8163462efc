// GET /functions/v1/health          liveness, one database round trip through the pooler, pool summary
//                                   (no server version, no addresses: failures say only their code)
// GET /functions/v1/health/metrics  Prometheus text: pool, transactions, errors, retries, breaker
//                                   (a service token with the scope metrics:read)
// GET /functions/v1/health/ping     the smallest pooled transaction, as the caller's token says (anon without
//                                   one; load tests and the token benchmark measure this)
// GET /functions/v1/health/slow     holds a connection for ?ms= (local stacks only: CRYO_DEBUG_ROUTES=1)
// GET /functions/v1/health/ping-pipelined  /ping in the pipelined extended protocol (local stacks only)
import { database, DbError } from "../_shared/db.ts";
import { ApiError, errorBody, notFound } from "../_shared/errors.ts";
import { createApp } from "../_shared/http.ts";
import { log } from "../_shared/log.ts";
import { registry } from "../_shared/metrics.ts";
import { loadConfig } from "../_shared/config.ts";
import { authenticate, principalOf, requestIdOf, requireScope } from "../_shared/auth.ts";

// Validate the environment when the function loads, so a bad variable fails the deploy, not a request.
loadConfig();

const app = createApp("/health");
const ANON = { role: "anon" };

app.get("/", async (c) => {
  const started = performance.now();
  let db;
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

app.get("/metrics", authenticate({ required: true }), async (c) => {
  const p = principalOf(c);
  requireScope(p, "metrics:read");
  // No transaction here (metrics must answer while the database is away), so no liveness check either: a
  // revoked metrics token keeps reading metrics until it expires (CRYO_TOKEN_TTL_S, 15 min by default).
  database(); // registers the pool gauges and breaker state even before the first query
  return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
});

app.get("/ping", authenticate(), async (c) => {
  const [row] = await database().queryAs<{ ok: number }[]>(principalOf(c).claims, (tx) => tx`select 1 as ok`, {
    readOnly: true,
    requestId: requestIdOf(c),
  });
  return c.json({ ok: row.ok === 1 });
});

// The same transaction in the pipelined extended protocol, so load runs compare both paths side by side.
app.get("/ping-pipelined", async (c) => {
  const db = database();
  if (!db.cfg.CRYO_DEBUG_ROUTES) return notFound(c);
  const [row] = await db.queryAs<{ ok: number }[]>(ANON, (tx) => tx`select 1 as ok`, {
    readOnly: true,
    extended: true,
  });
  return c.json({ ok: row.ok === 1 });
});

app.get("/slow", async (c) => {
  const db = database();
  if (!db.cfg.CRYO_DEBUG_ROUTES) return notFound(c);
  const ms = Number(c.req.query("ms") ?? 200);
  if (!Number.isFinite(ms) || ms < 0 || ms > 60000) {
    throw new ApiError(400, "INVALID_INPUT", "ms must be a number of milliseconds between 0 and 60000");
  }
  await db.queryAs(ANON, (tx) => tx`select pg_sleep(${ms / 1000})`, { readOnly: true });
  return c.json({ slept_ms: ms });
});

export default { fetch: app.fetch };
