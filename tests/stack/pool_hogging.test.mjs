// Threat: a client with SQL on the pooler (the API login role, then any API role) holds every server
// connection of the pool and starves the functions. The API roles' limits (statement_timeout,
// idle_in_transaction_session_timeout) are role settings a client can turn off with SET LOCAL, so only the
// pooler can bound how long one client transaction keeps a server connection (query_timeout and
// idle_transaction_timeout in the stack's pgbouncer; Supavisor has its own limits). Runs against the test stack.
import { test } from "node:test";
import assert from "node:assert/strict";
import postgres from "postgres";
import { poolerUrl, stackConfig } from "../../scripts/lib/config.mjs";
import { sleep } from "../../scripts/lib/proc.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");

test("a pooled client that turns its timeouts off cannot keep a server connection past the API role's limits", async () => {
  const url = poolerUrl(c);
  assert.ok(url, "the test stack is running");
  const hog = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
  try {
    const started = performance.now();
    const held = hog.begin(async (tx) => {
      await tx.unsafe("set local role anon; set local statement_timeout = 0; set local idle_in_transaction_session_timeout = 0");
      await tx.unsafe("select pg_catalog.pg_sleep(40)");
    }).then(() => "held to the end", (e) => e.code ?? e.message);
    const outcome = await Promise.race([held, sleep(25000).then(() => "still holding after 25 s")]);
    // cryo_api's own limits are 8 s per statement and 15 s idle in a transaction: the pooler must end a
    // transaction that outlives them, whatever the client set.
    assert.notEqual(outcome, "still holding after 25 s",
      `a client kept a pooled server connection ${((performance.now() - started) / 1000).toFixed(0)} s (pool: ${c.ports.pooler})`);
    assert.notEqual(outcome, "held to the end");
  } finally {
    await hog.end({ timeout: 1 }).catch(() => {});
  }
});
