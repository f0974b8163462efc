// GET /functions/v1/health: liveness plus one database round trip through the pooler.
import { Hono } from "../_shared/deps.ts";
import { db } from "../_shared/db.ts";
import { errorBody, notFound, onError } from "../_shared/errors.ts";

const app = new Hono().basePath("/health");

// A pooler with no server to hand out queues the client (pgbouncer: query_wait_timeout); health must not.
const DEADLINE_MS = 2000;

app.get("/", async (c) => {
  const started = performance.now();
  let timer: number | undefined;
  try {
    const query = db()`select current_setting('server_version') as server_version`;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        query.cancel();
        reject(new Error(`no answer within ${DEADLINE_MS} ms`));
      }, DEADLINE_MS);
    });
    const [row] = await Promise.race([query, deadline]);
    const latency_ms = Math.round((performance.now() - started) * 100) / 100;
    return c.json({ status: "ok", database: { reachable: true, server_version: row.server_version, latency_ms } });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return c.json(
      { status: "unavailable", ...errorBody("DB_UNAVAILABLE", `database unreachable through the pooler: ${message}`) },
      503,
      { "Retry-After": "5" },
    );
  } finally {
    clearTimeout(timer);
  }
});

app.notFound(notFound);
app.onError(onError);

export default { fetch: app.fetch };
