// The token client under Node (the same scenarios as tests/token_client_test.ts runs under Deno), and
// against the running test stack's token endpoint when one is up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { realEndpoint, scenarios } from "./token-client.scenarios.mjs";
import { stackConfig } from "../../scripts/lib/config.mjs";

for (const [name, fn] of scenarios) test(`node: ${name}`, fn);

test("node: a real token from the running token endpoint", async (t) => {
  const c = stackConfig(process.env.CRYO_STACK || "test");
  const up = await fetch(`${c.functionsUrl}/service-token/.well-known/jwks.json`).then((r) => r.ok, () => false);
  if (!up) return t.skip("no running stack");
  const { run } = await import("../../scripts/service-client.mjs");
  const client = await run(["create", "--team", "Alpha", "--name", "node-token-client", "--scope", "metrics:read"], c);
  const token = await realEndpoint(`${c.functionsUrl}/service-token`, client);
  const r = await fetch(`${c.functionsUrl}/health/metrics`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  await r.text();
});
