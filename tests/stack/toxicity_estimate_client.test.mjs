// A real client of the toxicity function: supabase-js `functions.invoke` from Node, against the test stack's
// gateway, the way a client app calls POST /functions/v1/toxicity/mixtures/estimate (issue 11). As anon (the
// project's anon key) and as a signed-in user (a token minted like Supabase Auth's). Public seed molecules only:
// the figures asserted come from the request, not from the seed's toxicity records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { stackConfig } from "../../scripts/lib/config.mjs";
import { anonKey, signToken } from "../../scripts/lib/keys.mjs";
import { start } from "../../scripts/stack.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");
const ALICE = "a11ce000-0000-4000-8000-000000000001";

// 20 % w/w DMSO + 10 % w/w formamide in water: no density needed; the conversions are the identity.
const body = {
  components: [
    { molecule: "67-68-5", value: 20, unit: "% w/w", penetrating: true },
    { molecule: "formamide", value: 10, unit: "% w/w", penetrating: true },
  ],
  water: "remainder",
  carrier: { name: "water", reason: "presumed not acutely toxic" },
};

test("supabase-js functions.invoke: an estimate as anon and as a user; a bad unit is a FunctionsHttpError 400", async () => {
  await start(c); // idempotent: the stack tests before this one may have restarted pieces
  const anon = await anonKey(c);
  const client = createClient(c.apiUrl, anon, {
    auth: { persistSession: false, autoRefreshToken: false },
    // supabase-js builds its Realtime client eagerly and Node 20 has no global WebSocket; this test never opens
    // a channel, so the transport is a stand-in that is never constructed (Node 22+ or `ws` in real apps).
    realtime: { transport: class NoWebSocket {} },
  });
  const { data, error } = await client.functions.invoke("toxicity/mixtures/estimate", { body });
  assert.equal(error, null, String(error));
  assert.deepEqual(data.components.map((x) => x.molecule.name), ["dimethyl sulfoxide", "formamide"]);
  assert.deepEqual(data.estimate.conversions.map((x) => x.percent_w_w), [20, 10]);
  // qv* = (70/18.015) / (20/78.136 × 1 + 10/45.041 × 1) = 3.885651 / 0.477989 = 8.129
  assert.ok(Math.abs(data.estimate.qv.qv_star - 8.129) < 0.01, String(data.estimate.qv.qv_star));
  assert.equal(data.estimate.interactions.flags[0].evidence, "V", "DMSO + formamide flagged");

  const user = await signToken(c, { aud: "authenticated", role: "authenticated", sub: ALICE }, 600);
  const asUser = await client.functions.invoke("toxicity/mixtures/estimate", {
    body,
    headers: { Authorization: `Bearer ${user}` },
  });
  assert.equal(asUser.error, null, String(asUser.error));
  assert.equal(asUser.data.components.length, 2);

  const bad = await client.functions.invoke("toxicity/mixtures/estimate", {
    body: { components: [{ molecule: "67-68-5", value: 20, unit: "%" }] },
  });
  assert.equal(bad.error?.name, "FunctionsHttpError");
  assert.equal(bad.error.context.status, 400);
  assert.equal((await bad.error.context.json()).error.code, "UNKNOWN_UNIT");
});
