// The token client under Deno: the scenarios Node runs too (tests/unit/token-client.scenarios.mjs), and a
// real token from the running endpoint used on a scoped route.
import assert from "node:assert/strict";
import { realEndpoint, scenarios } from "./unit/token-client.scenarios.mjs";
import { FUNCTIONS_URL } from "./_helpers.ts";
import { createClient, TOKEN_URL } from "./_tokens.ts";

for (const [name, fn] of scenarios as [string, () => Promise<void>][]) Deno.test(`deno: ${name}`, fn);

Deno.test("deno: a real token from the running token endpoint", async () => {
  const token = await realEndpoint(TOKEN_URL, await createClient("Alpha", "metrics:read"));
  const r = await fetch(`${FUNCTIONS_URL}/health/metrics`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  await r.body?.cancel();
});
