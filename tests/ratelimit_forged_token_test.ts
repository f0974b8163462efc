// Threat: one client escapes the per-caller limit by sending a different made-up bearer token with every
// request. The caller key is a hash of whatever the Authorization header holds, before anyone checked the
// token, so each forged token is a new caller with a fresh allowance and a fresh concurrency budget: the
// c=300 starvation of issue 7 (item 8) comes back with one line of client code. A token that does not verify
// must count against the address it came from (or one shared bucket), never against itself.
import assert from "node:assert/strict";
import { createApp } from "../supabase/functions/_shared/http.ts";

Deno.test({
  name: "made-up bearer tokens from one address share that address's limit (in-process, limit 3)",
  sanitizeOps: false, // the limiter's window timers outlive the test
  sanitizeResources: false,
  fn: async () => {
    const app = createApp("/x", { CRYO_RATE_LIMIT_POINTS: "3", CRYO_RATE_LIMIT_WINDOW_S: "60" });
    app.get("/", (c) => c.json({ ok: true }));
    const statuses = [];
    for (let i = 0; i < 10; i++) {
      const r = await app.fetch(
        new Request("http://f/x", {
          headers: { authorization: `Bearer forged-${crypto.randomUUID()}`, "x-forwarded-for": "198.51.100.7" },
        }),
      );
      await r.body?.cancel();
      statuses.push(r.status);
    }
    assert.ok(
      statuses.includes(429),
      `ten requests with forged tokens from one address were never limited: ${statuses}`,
    );
  },
});
