// Threat: a client with SQL on the pooler (the API login role, then any API role) holds a server connection
// and starves the functions. The API roles' limits (statement_timeout, idle_in_transaction_session_timeout)
// are role settings a client can turn off with SET LOCAL, so only the pooler can bound how long one client
// transaction keeps a server connection (query_timeout and idle_transaction_timeout in the stack's pgbouncer;
// Supavisor has its own limits). Runs against the test stack.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readSecrets, stackConfig } from "../../scripts/lib/config.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");

/** Runs `sql` through the pooler as cryo_api with psql; resolves with { code, ms, out } when psql exits. */
function viaPooler(sql, killAfterMs) {
  const secrets = readSecrets(c);
  assert.ok(secrets, "the test stack is running");
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn("psql", [
      "-X",
      "-h",
      "127.0.0.1",
      "-p",
      String(c.ports.pooler),
      "-U",
      "cryo_api",
      "-d",
      "postgres",
      "-v",
      "ON_ERROR_STOP=1",
      "-c",
      sql,
    ], { env: { ...process.env, PGPASSWORD: secrets.apiPassword } });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const kill = setTimeout(() => p.kill("SIGKILL"), killAfterMs);
    p.on("close", (code) => {
      clearTimeout(kill);
      resolve({ code, ms: performance.now() - t0, out });
    });
  });
}

test("a pooled client that turns its timeouts off cannot keep a server connection past the pooler's limit", async () => {
  const r = await viaPooler(
    "begin; set local role anon; set local statement_timeout = 0; " +
      "set local idle_in_transaction_session_timeout = 0; select pg_catalog.pg_sleep(40); commit;",
    35000,
  );
  assert.notEqual(r.code, null, "psql was not killed: the pooler ended the transaction");
  assert.notEqual(r.code, 0, "the 40 s statement did not run to its end");
  assert.ok(r.ms < 30000, `the connection was held ${(r.ms / 1000).toFixed(1)} s: ${r.out}`);
});
