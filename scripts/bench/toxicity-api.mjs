#!/usr/bin/env node
// The toxicity API over HTTP, side by side in one run, with a verified token (a user token signed by the
// stack's local Supabase Auth key, verified by the function like any other):
//   - profile p50/p95 cold (Cache-Control: no-cache: the in-function cache is skipped, the database answers)
//     and cached (the same profiles again: answered from the isolate's cache);
//   - lookup of 1,000 identifiers (InChIKeys, ids and names, mixed) p50/p95, JSON and CSV, uncached;
//   - the cache hit rate in a realistic mix: profiles drawn from a Zipf distribution (s = 1.1) over the
//     molecules, with searches and small lookups interleaved, read from each answer's X-Cache header.
// Requests are sequential (one in flight), so the numbers are latencies, not throughput. Molecules are
// sampled from the database (public molecules with toxicity records, else any public molecule).
//   node scripts/bench/toxicity-api.mjs [--profiles 200] [--lookups 10] [--mix 1000] [--user alice@example.org]
//                                       [--out reports/toxicity-api.json]
// Against the dev stack by default (CRYO_STACK=test for the test stack; CRYO_PORT_OFFSET applies).
import postgres from "postgres";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import os from "node:os";
import { parseArgs } from "node:util";
import { stackConfig } from "../lib/config.mjs";
import { signToken } from "../lib/keys.mjs";

const { values } = parseArgs({
  options: {
    profiles: { type: "string", default: "200" },
    lookups: { type: "string", default: "10" },
    mix: { type: "string", default: "1000" },
    user: { type: "string", default: "alice@example.org" },
    out: { type: "string" },
  },
});
const N = { profiles: Number(values.profiles), lookups: Number(values.lookups), mix: Number(values.mix) };
for (const [k, v] of Object.entries(N)) {
  if (!Number.isInteger(v) || v < 1) {
    console.error(`error: --${k} must be a positive integer`);
    process.exit(2);
  }
}

const c = stackConfig();
const BASE = `${c.functionsUrl}/toxicity`;
const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });

/** Nearest-rank percentiles of `ms` (milliseconds, rounded to 0.1). */
function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  const r = (x) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(at(50)), p95: r(at(95)), max: r(s[s.length - 1]) };
}

/** A deterministic pseudo-random sequence (mulberry32), so two runs draw the same mix. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf(s) sampler over ranks 0..n-1 by inverse CDF. */
function zipf(n, s, rand) {
  const w = Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, s));
  const total = w.reduce((a, b) => a + b, 0);
  const cdf = [];
  let acc = 0;
  for (const x of w) cdf.push((acc += x / total));
  return () => {
    const u = rand();
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function timed(url, init) {
  const t0 = performance.now();
  const r = await fetch(url, init);
  const body = await r.arrayBuffer();
  const ms = performance.now() - t0;
  if (r.status !== 200 && r.status !== 304) {
    throw new Error(`${init?.method ?? "GET"} ${url}: ${r.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
  }
  return { ms, r, body };
}

try {
  const [user] = await sql`select id from auth.users where email = ${values.user}`;
  if (!user) throw new Error(`no user ${values.user} in the ${c.name} stack`);
  const token = await signToken(c, { aud: "authenticated", role: "authenticated", sub: user.id }, 3600);
  const auth = { authorization: `Bearer ${token}` };

  // Molecules to ask about: public ones with toxicity records first (most profiles people open have data).
  const want = Math.max(N.profiles, 1000);
  const mols = await sql`
    (select m.id::text, m.name, m.inchikey from public.molecules m
     where m.visibility = 'public' and exists (select from public.toxicity_records t where t.molecule_id = m.id)
     order by md5(m.id::text) limit ${want})
    union all
    (select m.id::text, m.name, m.inchikey from public.molecules m where m.visibility = 'public'
     order by md5(m.id::text) limit ${want})`;
  const seen = new Set();
  const sample = mols.filter((m) => !seen.has(m.id) && seen.add(m.id)).slice(0, want);
  const [{ records }] = await sql`select count(*)::int as records from public.toxicity_records`;
  const [{ molecules }] = await sql`select count(*)::int as molecules from public.molecules`;
  console.log(`${molecules} molecules, ${records} toxicity records; ${sample.length} sampled; ${BASE}`);

  const profileUrl = (m) => `${BASE}/molecules/${m.id}`;
  const profiles = sample.slice(0, N.profiles);

  // Profiles: cold (cache skipped) then cached (warmed by the cold pass: the same molecules again).
  await timed(profileUrl(profiles[0]), { headers: auth }); // connection and verifier warm-up
  const cold = [];
  for (const m of profiles) cold.push((await timed(profileUrl(m), { headers: { ...auth, "cache-control": "no-cache" } })).ms);
  const cached = [];
  let cachedHits = 0;
  for (const m of profiles) {
    const t = await timed(profileUrl(m), { headers: auth });
    cached.push(t.ms);
    if (t.r.headers.get("x-cache") === "HIT") cachedHits++;
  }

  // Lookups of 1,000 identifiers, a third each InChIKey, id and name; uncached (no-cache), JSON then CSV.
  const ids = sample.slice(0, 1000);
  while (ids.length < 1000) ids.push(...sample.slice(0, 1000 - ids.length));
  const identifiers = ids.map((m, i) => (i % 3 === 0 ? m.inchikey ?? m.id : i % 3 === 1 ? m.id : m.name));
  const lookup = { json: [], csv: [] };
  let counts;
  for (let i = 0; i < N.lookups; i++) {
    for (const kind of ["json", "csv"]) {
      const t = await timed(`${BASE}/lookup`, {
        method: "POST",
        headers: {
          ...auth,
          "content-type": "application/json",
          "cache-control": "no-cache",
          accept: kind === "csv" ? "text/csv" : "application/json",
        },
        body: JSON.stringify({ identifiers, records_per_identifier: 20 }),
      });
      lookup[kind].push(t.ms);
      if (kind === "json") counts ??= JSON.parse(new TextDecoder().decode(t.body)).counts;
    }
  }

  // A realistic mix: Zipf-popular profiles (80 %), searches (15 %), small lookups (5 %).
  const rand = rng(42);
  const pick = zipf(sample.length, 1.1, rand);
  const mix = { requests: 0, hits: 0, misses: 0, ms: [] };
  for (let i = 0; i < N.mix; i++) {
    const u = rand();
    const m = sample[pick()];
    let t;
    if (u < 0.8) t = await timed(profileUrl(m), { headers: auth });
    else if (u < 0.95) t = await timed(`${BASE}/search?q=${encodeURIComponent(m.name.slice(0, 6))}`, { headers: auth });
    else {
      t = await timed(`${BASE}/lookup`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ identifiers: [m.inchikey ?? m.id, sample[pick()].id] }),
      });
      const [h, n] = (t.r.headers.get("x-cache-hits") ?? "0/0").split("/").map(Number);
      mix.requests++, mix.hits += h, mix.misses += n - h, mix.ms.push(t.ms);
      continue;
    }
    mix.requests++;
    mix.ms.push(t.ms);
    if (t.r.headers.get("x-cache") === "HIT") mix.hits++;
    else mix.misses++;
  }

  const report = {
    when: new Date().toISOString(),
    machine: { cpus: os.cpus().length, load: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    stack: c.name,
    data: { molecules, toxicity_records: records, sampled: sample.length },
    profile: { cold: stats(cold), cached: { ...stats(cached), hits: cachedHits } },
    lookup_1000: { json: stats(lookup.json), csv: stats(lookup.csv), counts },
    mix: {
      requests: mix.requests,
      hits: mix.hits,
      misses: mix.misses,
      hit_rate: Math.round((mix.hits / Math.max(1, mix.hits + mix.misses)) * 1000) / 1000,
      latency: stats(mix.ms),
    },
    notes:
      "sequential requests over HTTP with a verified user token; cold = Cache-Control: no-cache (database answers); goals (issue 11): profile p95 < 20 ms uncached, lookup of 1,000 < 100 ms",
  };
  console.log(JSON.stringify(report, null, 2));
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, JSON.stringify(report, null, 2) + "\n");
    console.log(`wrote ${values.out}`);
  }
} finally {
  await sql.end();
}
