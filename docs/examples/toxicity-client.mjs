#!/usr/bin/env node
// A client of the CryoProtect toxicity API with supabase-js, from Node (docs/toxicity-api.md):
// a batch lookup, the same as a CSV file, and a mixture estimate.
//
//   SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_ANON_KEY=$(npm run -s token -- anon) \
//   [ACCESS_TOKEN=$(npm run -s token -- user alice@example.org)] node docs/examples/toxicity-client.mjs
//
// Without ACCESS_TOKEN the calls are anonymous (public data); with a user's access token (supabase.auth in an
// app, or the local `npm run token`) they also read the user's teams' private records; a service token works
// the same way (it needs the scopes toxicity:read and molecules:read).
import { writeFile } from "node:fs/promises";
import { createClient } from "@supabase/supabase-js";

const url = process.env.SUPABASE_URL ?? "http://127.0.0.1:54321";
const anonKey = process.env.SUPABASE_ANON_KEY;
if (!anonKey) throw new Error("set SUPABASE_ANON_KEY (npm run -s token -- anon)");
const accessToken = process.env.ACCESS_TOKEN;

// Node 20 has no WebSocket; this script never opens Realtime (on Node 22+ leave `realtime` out).
class NoRealtime {
  constructor() {
    throw new Error("Realtime is not used here");
  }
}

const supabase = createClient(url, anonKey, {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: NoRealtime },
  // An app signed in with supabase.auth needs none of this: invoke() sends the session's token.
  ...(accessToken ? { accessToken: async () => accessToken } : {}),
});

// 1. Lookup: up to 1,000 identifiers of any kind, answered in input order.
const identifiers = ["DMSO", "56-81-5", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", "CID 174", "formamide", "no such thing"];
const { data: lookup, error } = await supabase.functions.invoke("toxicity/lookup", {
  body: { identifiers, value_types: ["LD50", "GHS_category"], records_per_identifier: 20 },
});
if (error) throw error;
for (const r of lookup.results) {
  const ld50 = r.summary?.flatMap((s) => s.ld50.map((v) => `${v.species ?? "?"}/${v.route ?? "?"} ${v.lowest_qualifier}${v.lowest} ${v.unit}`));
  console.log(`${r.index}\t${r.input}\t${r.status}\t${r.molecule?.name ?? r.reason ?? ""}\t${ld50?.join("; ") ?? ""}`);
}

// 2. The same lookup as CSV (one row per identifier and value, with units, qualifiers and sources).
const { data: csv, error: csvError } = await supabase.functions.invoke("toxicity/lookup", {
  body: { identifiers },
  headers: { Accept: "text/csv" },
});
if (csvError) throw csvError;
await writeFile("toxicity-lookup.csv", csv);
console.log(`wrote toxicity-lookup.csv (${csv.trim().split("\n").length - 1} rows)`);

// 3. A mixture estimate of an unsaved composition (docs/mixture-estimate.md): GHS additivity, qv*, flags.
const { data: estimate, error: estError } = await supabase.functions.invoke("toxicity/mixtures/estimate", {
  body: {
    components: [
      { molecule: "DMSO", concentration: 3.1, unit: "M" },
      { molecule: "formamide", concentration: 3.1, unit: "M" },
      { molecule: "1,2-propanediol", concentration: 2.2, unit: "M" },
    ],
  },
});
if (estError) console.error("estimate:", estError.message, await estError.context?.text?.());
else console.log("estimate:", JSON.stringify(estimate, null, 2).slice(0, 1500));
