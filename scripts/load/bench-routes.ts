// Routes that exist only for the load scenarios, served by the local gateway (scripts/functions-server.ts) at
// /functions/v1/bench/* when CRYO_BENCH_ROUTES=1 (the local stack sets it; nothing deploys this file). They go
// through the same database module as the functions (one Database per process, `database()`), so what they
// measure is the pool, the breaker and the pooler the real routes use.
//   GET /functions/v1/bench/slow?ms=        holds a pooled connection for `ms` milliseconds (pg_sleep, as anon);
//                                           200 { slept_ms }, 400 INVALID_INPUT unless 0 <= ms <= 60000
//   GET /functions/v1/bench/ping-pipelined  the /health/ping transaction in the pipelined extended protocol
//                                           (one round trip a statement); 200 { ok: true }
// Database failures answer as every function does (503/504 with a code, see _shared/db).
import { database } from "../../supabase/functions/_shared/db.ts";
import { ApiError } from "../../supabase/functions/_shared/errors.ts";
import { createApp } from "../../supabase/functions/_shared/http.ts";

const ANON = { role: "anon" };

/** The bench app; the gateway hands it paths without /functions/v1 (`/bench/slow`), like a function. */
export function benchApp(env: Record<string, string | undefined> = Deno.env.toObject()) {
  const app = createApp("/bench", env);

  app.get("/slow", async (c) => {
    const ms = Number(c.req.query("ms") ?? 200);
    if (!Number.isFinite(ms) || ms < 0 || ms > 60000) {
      throw new ApiError(400, "INVALID_INPUT", "ms must be a number of milliseconds between 0 and 60000");
    }
    await database().queryAs(ANON, (tx) => tx`select pg_sleep(${ms / 1000})`, { readOnly: true });
    return c.json({ slept_ms: ms });
  });

  app.get("/ping-pipelined", async (c) => {
    const [row] = await database().queryAs<{ ok: number }[]>(ANON, (tx) => tx`select 1 as ok`, {
      readOnly: true,
      extended: true,
    });
    return c.json({ ok: row.ok === 1 });
  });

  return app;
}
