// A real client of the toxicity API: supabase-js `functions.invoke` from Node against the test stack's
// gateway, as docs/toxicity-api.md shows it: a lookup answered in input order, the same as CSV, and a user's
// token reaching the user's team's records that the anon key does not.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { stackConfig } from "../../scripts/lib/config.mjs";
import { anonKey, signToken } from "../../scripts/lib/keys.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");
const ALICE = "a11ce000-0000-4000-8000-000000000001"; // owner of Alpha (seed)
const ALPHA = "783103de-d80a-54d2-859c-4b2aea2e914f";
const DMSO = "289cc0aa-6853-571e-9a1e-8dba64c14a1e"; // public seed molecule
const RECORD = "a0a00000-0000-4000-8000-00000000e001";

/** One private record of Alpha on DMSO (idempotent), with a citation nobody outside Alpha may read. */
async function fixture() {
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`insert into public.toxicity_sources (id, name, title)
              values ('a0a00000-0000-4000-8000-00000000e000', 'apitest-node-source', 'API client test source')
              on conflict do nothing`;
    await sql`insert into public.toxicity_records
                (id, molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_value, qualifier, value, unit,
                 conversion, species, route, citation, record_key, team_id, visibility)
              select ${RECORD}, ${DMSO}, 'exact', s.id, e.id, 'LD50', '14500', '=', 14500, 'mg/kg', 'as stated', 'rat',
                     'oral', 'NODE-ALPHA-SECRET', encode(sha256(convert_to(${RECORD}, 'UTF8')), 'hex'), ${ALPHA}, 'team'
              from (select id from public.toxicity_sources where name = 'apitest-node-source') s,
                   (select id from public.toxicity_endpoints where code = 'acute_oral_toxicity') e
              on conflict (id) do nothing`;
  } finally {
    await sql.end();
  }
}

class NoRealtime {
  constructor() {
    throw new Error("Realtime is not used here");
  }
}

// The seed's rows are counted exactly by other suites: leave nothing behind.
after(async () => {
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`delete from public.toxicity_records where id = ${RECORD}`;
    await sql`delete from public.toxicity_sources where name = 'apitest-node-source'`;
  } finally {
    await sql.end();
  }
});

/** A supabase-js client of the test stack, as anon (its anon key) or with a user's access token. */
async function client(accessToken) {
  return createClient(c.apiUrl, await anonKey(c), {
    auth: { persistSession: false, autoRefreshToken: false },
    // Node 20 has no WebSocket and these calls never open Realtime (Node 22+ needs no such line).
    realtime: { transport: NoRealtime },
    ...(accessToken ? { accessToken: async () => accessToken } : {}),
  });
}

test("supabase-js functions.invoke: a lookup answers every identifier in input order", async () => {
  const supabase = await client();
  const identifiers = ["DMSO", "56-81-5", "56-81-4", "no such substance", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"];
  const { data, error } = await supabase.functions.invoke("toxicity/lookup", { body: { identifiers } });
  assert.equal(error, null, String(error));
  assert.deepEqual(data.results.map((r) => r.status), ["found", "found", "invalid", "unknown", "found"]);
  assert.deepEqual(data.results.map((r) => r.input), identifiers);
  assert.equal(data.results[0].molecule.id, DMSO);
  assert.equal(data.results[1].molecule.name, "glycerol");
});

test("supabase-js functions.invoke: Accept: text/csv gives the same lookup as CSV", async () => {
  const supabase = await client();
  const { data, error } = await supabase.functions.invoke("toxicity/lookup", {
    body: { identifiers: ["DMSO", "nothing"] },
    headers: { Accept: "text/csv" },
  });
  assert.equal(error, null, String(error));
  assert.equal(typeof data, "string");
  const lines = data.trim().split("\n");
  assert.match(lines[0], /^index,input,kind,status,/);
  assert.ok(lines.slice(1).every((l) => /^[01],/.test(l)), "rows of identifiers 0 and 1 only");
  assert.ok(lines.some((l) => l.startsWith("1,nothing,name,unknown")));
});

test("supabase-js functions.invoke: a user's token reaches the team's records; the anon key does not", async () => {
  await fixture();
  const token = await signToken(c, { aud: "authenticated", role: "authenticated", sub: ALICE }, 600);
  const body = { identifiers: [DMSO], value_types: ["LD50"] };
  const asAlice = await (await client(token)).functions.invoke("toxicity/lookup", { body });
  assert.equal(asAlice.error, null, String(asAlice.error));
  assert.ok(JSON.stringify(asAlice.data).includes("NODE-ALPHA-SECRET"));
  const asAnon = await (await client()).functions.invoke("toxicity/lookup", { body });
  assert.equal(asAnon.error, null, String(asAnon.error));
  assert.ok(!JSON.stringify(asAnon.data).includes("NODE-ALPHA-SECRET"));
});
