// The toxicity read API (profiles, lookup, CSV, search, cache, OpenAPI). In-process: the read routes on the
// test stack's pooler with a fixed principal per caller (anon, Alice of Alpha, Bob of Beta, Dave of no team),
// so the database's row-level security is what is tested, caller by caller. Over HTTP through the local
// gateway: real tokens (users, service clients and their scopes), the loaded index.ts, the OpenAPI document.
import assert from "node:assert/strict";
import { Hono } from "hono";
import { Validator } from "@seriousme/openapi-schema-validator";
import { ANON, type Principal } from "../supabase/functions/_shared/auth.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database } from "../supabase/functions/_shared/db.ts";
import { createApp } from "../supabase/functions/_shared/http.ts";
import { createToxicityApp, TOXICITY_ROUTE_DOCS } from "../supabase/functions/toxicity/app.ts";
import { cacheMetrics, ToxicityCache } from "../supabase/functions/toxicity/cache.ts";
import { readRoutes } from "../supabase/functions/toxicity/read.ts";
import { classify, LOOKUP_CSV_COLUMNS } from "../supabase/functions/toxicity/schemas.ts";
import { adminSql, counterTotal, FUNCTIONS_URL, POOLER_URL, signToken } from "./_helpers.ts";
import { createClient, getToken, liveServiceClaims, TEAMS } from "./_tokens.ts";
import {
  ALICE,
  ALPHA_SECRETS,
  AMBIG_ALPHA,
  AMBIG_PUB,
  assertNoSecrets,
  BETA_SECRETS,
  BOB,
  DAVE,
  PUB,
  PUBLIC_RECORDS,
  removeToxicityFixtures,
  SECRET,
  toxicityFixtures,
} from "./_toxicity_fixtures.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const API = FUNCTIONS_URL.replace(/\/functions\/v1$/, "");
const user = (sub: string): Principal => ({
  kind: "user",
  claims: { role: "authenticated", sub, aud: "authenticated" },
  scopes: new Set(),
});
const CALLERS: Record<string, Principal> = { anon: ANON, alice: user(ALICE), bob: user(BOB), dave: user(DAVE) };
/** What each caller must never see. */
const FORBIDDEN: Record<string, string[]> = {
  anon: [...ALPHA_SECRETS, ...BETA_SECRETS],
  alice: BETA_SECRETS,
  bob: ALPHA_SECRETS,
  dave: [...ALPHA_SECRETS, ...BETA_SECRETS],
};

let db: Database | undefined;
function testDb(): Database {
  db ??= new Database(loadConfig({ CRYO_ENV: "local", CRYO_LOG_LEVEL: "error", CRYO_DB_URL: POOLER_URL }));
  return db;
}

/** The read routes under /toxicity, every request as `p` (the principal authenticate() would have set). */
function appAs(
  p: Principal,
  cache: ToxicityCache = new ToxicityCache({ max: 0, maxBytes: 1, ttlMs: 1, versionTtlMs: 0 }),
) {
  const app = createApp("/toxicity", { CRYO_RATE_LIMIT_POINTS: "0" });
  app.use("*", async (c, next) => {
    c.set("principal" as never, p as never);
    await next();
  });
  app.route("/", readRoutes({ database: testDb, cache }));
  return app;
}

/** One app per caller sharing `cache`: the cache is the isolate's, callers come and go. */
function appsSharing(cache: ToxicityCache) {
  return Object.fromEntries(Object.entries(CALLERS).map(([k, p]) => [k, appAs(p, cache)])) as Record<
    string,
    Hono
  >;
}

/** A lookup answer without the identifiers echoed back (the caller sent those). */
function withoutInputs(body: { results?: { input?: string }[] }): string {
  return JSON.stringify({ ...body, results: body.results?.map(({ input: _, ...r }) => r) });
}

/** An answer with echoed lookup inputs removed (CSV: the input column), for the leak checks. */
function answerText(text: string, csv: boolean): string {
  if (csv) {
    const [header, ...rows] = parseCsv(text);
    const at = header.indexOf("input");
    return rows.map((r) => r.filter((_, i) => i !== at).join(",")).join("\n");
  }
  try {
    const b = JSON.parse(text);
    return b.results ? withoutInputs(b) : text;
  } catch {
    return text;
  }
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

async function setup() {
  await toxicityFixtures();
}

Deno.test({
  name: "profile: by id, InChIKey and CAS the same molecule; each caller sees public records and its own team's only",
  ...opts,
  fn: async () => {
    await setup();
    for (const [who, p] of Object.entries(CALLERS)) {
      const app = appAs(p);
      const bodies: string[] = [];
      for (const ref of [PUB.id, PUB.inchikey, PUB.cas, PUB.inchikey.toLowerCase()]) {
        const r = await app.request(`/toxicity/molecules/${encodeURIComponent(ref)}?limit=200`);
        const text = await r.text();
        assert.equal(r.status, 200, `${who} ${ref}: ${text}`);
        assertNoSecrets(text, FORBIDDEN[who], `${who} profile ${ref}`);
        bodies.push(text);
      }
      assert.ok(bodies.every((b) => b === bodies[0]), `${who}: every name of the molecule gives the same profile`);
      const body = JSON.parse(bodies[0]);
      assert.equal(body.molecule.id, PUB.id);
      assert.deepEqual(body.molecule.identifiers.map((i: { kind: string }) => i.kind), ["dtxsid"]);
      const ids = body.records.items.map((r: { id: string }) => r.id);
      for (const [id] of PUBLIC_RECORDS) assert.ok(ids.includes(id), `${who} sees public record ${id}`);
      const own = who === "alice" ? 1 : who === "bob" ? 1 : 0;
      assert.equal(ids.length, PUBLIC_RECORDS.length + own, `${who}: public records and its team's`);
      const owners = body.summary.map((s: { team_id: string | null }) => s.team_id);
      assert.deepEqual(owners, [null, ...(who === "alice" ? [TEAMS.Alpha] : who === "bob" ? [TEAMS.Beta] : [])]);
      assert.equal(body.sources.length, 1);
      assert.match(body.sources[0].citation, /Apitest A\. et al\./);
      assert.equal(body.sources[0].record_count, PUBLIC_RECORDS.length + own);
    }
  },
});

Deno.test({
  name:
    "profile: records are keyset-paged in (value type, id) order and filter by value type, endpoint, species, route, source",
  ...opts,
  fn: async () => {
    await setup();
    const app = appAs(ANON);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: Response = await app.request(
        `/toxicity/molecules/${PUB.id}?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      assert.equal(r.status, 200);
      const b = await r.json();
      assert.ok(b.records.items.length <= 2);
      seen.push(...b.records.items.map((i: { value_type: string; id: string }) => `${i.value_type} ${i.id}`));
      cursor = b.records.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 3, "5 records, 2 a page");
    const expected = PUBLIC_RECORDS.map(([id, vt]) => `${vt} ${id}`).sort();
    assert.deepEqual(seen, expected, "every record once, in (value_type, id) order");

    const filtered = async (q: string) =>
      (await (await app.request(`/toxicity/molecules/${PUB.id}?${q}`)).json()).records.items.map((
        i: { id: string },
      ) => i.id).sort();
    const ids = (pred: (r: (typeof PUBLIC_RECORDS)[number]) => boolean) =>
      PUBLIC_RECORDS.filter(pred).map(([id]) => id).sort();
    assert.deepEqual(await filtered("value_type=LD50"), ids((r) => r[1] === "LD50"));
    assert.deepEqual(await filtered("endpoint=cytotoxicity"), ids((r) => r[7] === "cytotoxicity"));
    assert.deepEqual(await filtered("species=rat"), ids((r) => r[5] === "rat"));
    assert.deepEqual(
      await filtered("route=oral&value_type=GHS_category"),
      ids((r) => r[6] === "oral" && r[1] === "GHS_category"),
    );
    assert.deepEqual(await filtered("source=apitest-source"), ids(() => true));
    assert.deepEqual(await filtered("source=no-such-source"), []);
    assert.deepEqual(await filtered("assay=NONE"), []);
  },
});

Deno.test({
  name:
    "profile: another team's private molecule is 404 exactly like one that does not exist; a shared InChIKey is 409",
  ...opts,
  fn: async () => {
    await setup();
    const missing = await (await appAs(ANON).request(`/toxicity/molecules/a0a00000-0000-4000-8000-00000000ffff`))
      .json();
    for (const who of ["anon", "bob", "dave"]) {
      for (const ref of [SECRET.id, SECRET.inchikey, SECRET.cas]) {
        const r = await appAs(CALLERS[who]).request(`/toxicity/molecules/${ref}`);
        assert.equal(r.status, 404, `${who} ${ref}`);
        const b = await r.json();
        assert.equal(b.error.code, "NOT_FOUND");
        if (ref === SECRET.id) assert.deepEqual(b, missing, "the same answer as for an id nobody has");
      }
    }
    const alice = await appAs(CALLERS.alice).request(`/toxicity/molecules/${SECRET.cas}`);
    assert.equal(alice.status, 200);
    assert.equal((await alice.json()).molecule.id, SECRET.id);

    const amb = await appAs(CALLERS.alice).request(`/toxicity/molecules/${AMBIG_PUB.inchikey}`);
    assert.equal(amb.status, 409);
    const ab = await amb.json();
    assert.equal(ab.error.code, "AMBIGUOUS");
    assert.deepEqual(
      ab.error.details.candidates.map((m: { id: string }) => m.id).sort(),
      [AMBIG_PUB.id, AMBIG_ALPHA.id].sort(),
    );
    for (const who of ["anon", "bob"]) {
      const r = await appAs(CALLERS[who]).request(`/toxicity/molecules/${AMBIG_PUB.inchikey}`);
      assert.equal(r.status, 200, `${who}: only the public one is visible`);
      assertNoSecrets(await r.text(), FORBIDDEN[who], who);
    }
  },
});

Deno.test({
  name: "lookup: every identifier answered in input order (found, unknown, ambiguous, invalid), duplicates included",
  ...opts,
  fn: async () => {
    await setup();
    const identifiers = [
      "DMSO",
      PUB.cas,
      "99901-01-7", // wrong check digit
      PUB.inchikey,
      "no such substance",
      PUB.dtxsid,
      `CID ${PUB.cid}`,
      { kind: "name", value: "ATX one" },
      SECRET.inchikey,
      AMBIG_PUB.inchikey,
      { kind: "inchikey", value: "not-a-key" },
      PUB.cas,
      PUB.id,
      "CHEMBL000001",
    ];
    const expect: Record<string, string[]> = {
      anon: [
        "found",
        "found",
        "invalid",
        "found",
        "unknown",
        "found",
        "found",
        "found",
        "unknown",
        "found",
        "invalid",
        "found",
        "found",
        "unknown",
      ],
    };
    expect.bob = expect.anon;
    expect.dave = expect.anon;
    expect.alice = expect.anon.map((s, i) => (i === 8 ? "found" : i === 9 ? "ambiguous" : s));
    for (const [who, p] of Object.entries(CALLERS)) {
      const r = await appAs(p).request("/toxicity/lookup", json({ identifiers }));
      const text = await r.text();
      assert.equal(r.status, 200, text);
      const b = JSON.parse(text);
      assertNoSecrets(withoutInputs(b), FORBIDDEN[who], `${who} lookup`);
      assert.deepEqual(b.results.map((x: { index: number }) => x.index), identifiers.map((_, i) => i));
      assert.deepEqual(b.results.map((x: { status: string }) => x.status), expect[who], who);
      assert.deepEqual(
        b.results.map((x: { input: string }) => x.input),
        identifiers.map((i) => (typeof i === "string" ? i : i.value)),
      );
      for (const i of [1, 3, 5, 6, 7, 11, 12]) assert.equal(b.results[i].molecule.id, PUB.id, `${who} #${i}`);
      assert.match(b.results[2].reason, /check digit/);
      const n = PUBLIC_RECORDS.length + (who === "alice" || who === "bob" ? 1 : 0);
      assert.equal(b.results[1].records.length, n, `${who}: public records and its team's`);
      assert.equal(b.counts.found + b.counts.unknown + b.counts.ambiguous + b.counts.invalid, identifiers.length);
    }
  },
});

Deno.test({
  name: "lookup: value types and the per-identifier record limit are honoured (more_records says so)",
  ...opts,
  fn: async () => {
    await setup();
    const app = appAs(ANON);
    const b1 = await (await app.request("/toxicity/lookup", json({ identifiers: [PUB.cas], value_types: ["LD50"] })))
      .json();
    assert.deepEqual(b1.results[0].records.map((r: { value_type: string }) => r.value_type), ["LD50", "LD50"]);
    const b2 =
      await (await app.request("/toxicity/lookup", json({ identifiers: [PUB.cas], records_per_identifier: 2 })))
        .json();
    assert.equal(b2.results[0].records.length, 2);
    assert.equal(b2.results[0].more_records, true);
    const b3 =
      await (await app.request("/toxicity/lookup", json({ identifiers: [PUB.cas], records_per_identifier: 0 })))
        .json();
    assert.deepEqual(b3.results[0].records, []);
    assert.equal(b3.results[0].summary[0].ld50.length, 2, "the summary still says what is known");
  },
});

/** Parses CSV text (RFC 4180, as csv-stringify writes it) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"', i++);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") (row.push(cell), cell = "");
    else if (ch === "\n") (row.push(cell), rows.push(row), row = [], cell = "");
    else if (ch !== "\r") cell += ch;
  }
  if (cell || row.length) (row.push(cell), rows.push(row));
  return rows;
}

Deno.test({
  name: "lookup as CSV: one row per identifier and record, in input order, with units, qualifiers and sources",
  ...opts,
  fn: async () => {
    await setup();
    const identifiers = [PUB.cas, "no such substance", "99901-01-7", SECRET.inchikey, '=HYPERLINK("x")'];
    for (const [who, p] of Object.entries(CALLERS)) {
      const r = await appAs(p).request("/toxicity/lookup", json({ identifiers }, { accept: "text/csv" }));
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /^text\/csv/);
      const text = await r.text();
      assertNoSecrets(answerText(text, true), FORBIDDEN[who], `${who} CSV`);
      const [header, ...rows]: string[][] = parseCsv(text);
      assert.deepEqual([...header], [...LOOKUP_CSV_COLUMNS]);
      const col = (name: string) => header.indexOf(name);
      const n = PUBLIC_RECORDS.length + (who === "alice" || who === "bob" ? 1 : 0);
      const secretRows = who === "alice" ? 1 : 1; // found (one record) for Alice, unknown (one row) otherwise
      assert.equal(rows.length, n + 1 + 1 + secretRows + 1, `${who}: rows`);
      assert.deepEqual([...new Set(rows.map((r) => r[col("index")]))], ["0", "1", "2", "3", "4"], "input order");
      const ld50 = rows.find((r) => r[col("value_type")] === "LD50" && r[col("value")] === "2000")!;
      assert.equal(ld50[col("qualifier")], ">");
      assert.equal(ld50[col("unit")], "mg/kg");
      assert.equal(ld50[col("source")], "apitest-source");
      assert.match(ld50[col("citation")], /Apitest A\./);
      assert.equal(rows.find((r) => r[col("index")] === "2")![col("status")], "invalid");
      assert.equal(rows.find((r) => r[col("index")] === "3")![col("status")], who === "alice" ? "found" : "unknown");
      assert.equal(rows.find((r) => r[col("index")] === "4")![col("input")], `'=HYPERLINK("x")`, "no formula");
    }
  },
});

const INJECTIONS = [
  "'; drop table public.molecules; --",
  '" or 1=1 --',
  "%",
  "_",
  "\\",
  "$1",
  "${x}",
  "../../etc/passwd",
  "\u0000",
  "a\u0000b",
  "\u202e",
  "😀",
  "a".repeat(201),
  "<script>alert(1)</script>",
  "' union select current_setting('request.jwt.claims') --",
  "::jsonb",
  ")",
  "67-68-5'--",
  "999999999999999999999999",
];

/** Every answer is a 2xx or a 4xx with a machine-readable code: never a 5xx. */
async function notServerError(r: Response, what: string) {
  const text = await r.text();
  assert.ok(r.status < 500, `${what}: ${r.status} ${text}`);
  if (r.status >= 400 && r.status !== 404) {
    assert.match(JSON.parse(text).error.code, /^[A-Z_a-z]+$/, what);
  }
  return text;
}

Deno.test({
  name: "bad input in every parameter of every route is a 4xx with a reason, never a 5xx, and leaks nothing",
  ...opts,
  fn: async () => {
    await setup();
    const app = appAs(ANON);
    const params = ["value_type", "endpoint", "assay", "species", "route", "source", "limit", "cursor"];
    for (const s of INJECTIONS) {
      const e = encodeURIComponent(s);
      await notServerError(await app.request(`/toxicity/molecules/${e}`), `ref ${s}`);
      for (const p of params) {
        await notServerError(await app.request(`/toxicity/molecules/${PUB.id}?${p}=${e}`), `${p}=${s}`);
      }
      await notServerError(await app.request(`/toxicity/molecules/${PUB.id}?${e}=1`), `unknown param ${s}`);
      const text = await notServerError(await app.request(`/toxicity/search?q=${e}`), `q=${s}`);
      assertNoSecrets(text, FORBIDDEN.anon, `search ${s}`);
      await notServerError(await app.request(`/toxicity/search?q=x&limit=${e}`), `limit=${s}`);
      for (
        const body of [
          { identifiers: [s] },
          { identifiers: [{ kind: "name", value: s }] },
          { identifiers: [{ kind: s, value: "x" }] },
          { identifiers: ["x"], value_types: [s] },
          { identifiers: ["x"], records_per_identifier: s },
          { identifiers: ["x"], [s]: 1 },
        ]
      ) {
        const t = await notServerError(
          await app.request("/toxicity/lookup", json(body)),
          `lookup ${JSON.stringify(body)}`,
        );
        assertNoSecrets(answerText(t, false), FORBIDDEN.anon, `lookup ${s}`);
      }
    }
  },
});

Deno.test({
  name: "bad lookups: 1,001 identifiers, unknown kinds, malformed bodies → 400 INVALID_INPUT naming the problem",
  ...opts,
  fn: async () => {
    let reached = 0;
    const app = createApp("/toxicity", { CRYO_RATE_LIMIT_POINTS: "0" });
    app.route(
      "/",
      readRoutes({
        database: () => {
          reached++;
          throw new Error("validation must answer first");
        },
      }),
    );
    const cases: [string, RequestInit, RegExp][] = [
      ["1,001 identifiers", json({ identifiers: Array.from({ length: 1001 }, (_, i) => `x${i}`) }), /identifiers/],
      ["no identifiers", json({ identifiers: [] }), /identifiers/],
      ["an unknown kind", json({ identifiers: [{ kind: "smiles", value: "CCO" }] }), /identifiers\.0/],
      ["an empty identifier", json({ identifiers: [""] }), /identifiers\.0/],
      ["a number", json({ identifiers: [679] }), /identifiers\.0/],
      ["an extra key", json({ identifiers: ["x"], admin: true }), /admin|unrecognized/i],
      ["a bad value type", json({ identifiers: ["x"], value_types: ["LD100"] }), /value_types/],
      ["too many records", json({ identifiers: ["x"], records_per_identifier: 5000 }), /records_per_identifier/],
      ["an array body", json([PUB.cas]), /expected object|invalid/i],
      [
        "malformed JSON",
        { method: "POST", headers: { "content-type": "application/json" }, body: "{" },
        /json|malformed/i,
      ],
      ["no body", { method: "POST", headers: { "content-type": "application/json" } }, /json|malformed|invalid/i],
    ];
    for (const [what, init, re] of cases) {
      const r = await app.request("/toxicity/lookup", init);
      const b = await r.json();
      assert.equal(r.status, 400, what);
      assert.match(`${b.error.message} ${JSON.stringify(b.error.details ?? "")}`, re, what);
    }
    for (
      const path of [
        "/toxicity/search",
        "/toxicity/search?q=",
        `/toxicity/search?q=${"a".repeat(201)}`,
        "/toxicity/search?q=x&limit=0",
        "/toxicity/search?q=x&limit=51",
        "/toxicity/search?q=x&extra=1",
        "/toxicity/molecules/not-an-identifier",
        "/toxicity/molecules/67-68-4",
        `/toxicity/molecules/${PUB.id}?limit=0`,
        `/toxicity/molecules/${PUB.id}?limit=201`,
        `/toxicity/molecules/${PUB.id}?value_type=LD100`,
        `/toxicity/molecules/${PUB.id}?cursor=bm90LWEtY3Vyc29y`,
        `/toxicity/molecules/${PUB.id}?cursor=!!`,
        `/toxicity/molecules/${PUB.id}?page=2`,
      ]
    ) {
      const r = await app.request(path);
      const b = await r.json();
      assert.equal(r.status, 400, path);
      assert.match(b.error.code, /^INVALID_(INPUT|CURSOR)$/, path);
    }
    assert.equal(reached, 0, "no bad request reached the database");
  },
});

Deno.test({
  name: "search: names, synonyms and identifier prefixes, ranked; private molecules only for their team",
  ...opts,
  fn: async () => {
    await setup();
    const search = async (who: string, q: string) => {
      const r = await appAs(CALLERS[who]).request(`/toxicity/search?q=${encodeURIComponent(q)}&limit=50`);
      const text = await r.text();
      assert.equal(r.status, 200, text);
      assertNoSecrets(text, FORBIDDEN[who], `${who} search ${q}`);
      return JSON.parse(text).items as { id: string; rank: number; matched: { field: string } }[];
    };
    const anon = await search("anon", "apitest");
    assert.ok(anon.some((i) => i.id === PUB.id) && anon.some((i) => i.id === AMBIG_PUB.id));
    const alice = await search("alice", "apitest");
    assert.ok(alice.some((i) => i.id === SECRET.id), "Alice finds her team's molecule");
    assert.ok(alice.some((i) => i.id === AMBIG_ALPHA.id));
    const exact = await search("anon", "ATX one");
    assert.equal(exact[0].id, PUB.id);
    assert.equal(exact[0].rank, 1);
    assert.equal(exact[0].matched.field, "synonym");
    assert.equal((await search("anon", "99901-01"))[0].id, PUB.id, "CAS prefix");
    assert.equal((await search("anon", "apitestolaa"))[0].id, PUB.id, "InChIKey prefix, any case");
    assert.equal((await search("anon", "dtxsid99901"))[0].id, PUB.id, "DTXSID prefix");
    assert.equal((await search("anon", String(PUB.cid)))[0].id, PUB.id, "PubChem CID");
    assert.deepEqual(await search("bob", SECRET.inchikey.slice(0, 12)), []);
    const ranks = alice.map((i) => i.rank);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => b - a), "best first");
  },
});

Deno.test({
  name: "cache: answers warmed by a team member are never served to anon, another team or a user of no team",
  ...opts,
  fn: async () => {
    await setup();
    const cache = new ToxicityCache({ max: 1000, maxBytes: 1 << 24, ttlMs: 600_000, versionTtlMs: 600_000 });
    const apps = appsSharing(cache);
    const requests: [string, RequestInit?][] = [
      [`/toxicity/molecules/${PUB.id}`],
      [`/toxicity/molecules/${PUB.cas}?value_type=LD50`],
      [`/toxicity/molecules/${SECRET.cas}`],
      [`/toxicity/search?q=apitest`],
      ["/toxicity/lookup", json({ identifiers: [PUB.cas, SECRET.inchikey, AMBIG_PUB.inchikey] })],
      ["/toxicity/lookup", json({ identifiers: [PUB.inchikey, SECRET.cas] }, { accept: "text/csv" })],
    ];
    for (const warm of ["alice", "bob"]) {
      for (const [path, init] of requests) {
        for (let i = 0; i < 2; i++) await (await apps[warm].request(path, init)).text(); // warm, then hit
      }
      for (const who of Object.keys(CALLERS)) {
        if (who === warm) continue;
        for (const [path, init] of requests) {
          const hitsBefore = await counterTotal(cacheMetrics.hits);
          const text = await (await apps[who].request(path, init)).text();
          const csv = (init?.headers as Record<string, string> | undefined)?.accept === "text/csv";
          assertNoSecrets(answerText(text, csv), FORBIDDEN[who], `${who} after ${warm} warmed ${path}`);
          if (who !== "anon" || warm !== "alice") continue;
          // The first request of a caller with another read set cannot be a hit, whatever the path.
          assert.equal(await counterTotal(cacheMetrics.hits), hitsBefore, `${who} ${path}: not from ${warm}'s entries`);
        }
      }
    }
  },
});

Deno.test({
  name: "cache: a hit serves the same answer without the database; a write is seen once the version is re-confirmed",
  ...opts,
  fn: async () => {
    await setup();
    const versionTtlMs = 300;
    const cache = new ToxicityCache({ max: 1000, maxBytes: 1 << 24, ttlMs: 600_000, versionTtlMs });
    let calls = 0;
    const app = createApp("/toxicity", { CRYO_RATE_LIMIT_POINTS: "0" });
    app.route("/", readRoutes({ database: () => (calls++, testDb()), cache }));
    const path = `/toxicity/molecules/${AMBIG_PUB.id}`;
    const first = await (await app.request(path)).text();
    const before = calls;
    const second = await (await app.request(path)).text();
    assert.equal(second, first);
    assert.equal(calls, before, "served from the cache");
    const bypass = await app.request(path, { headers: { "cache-control": "no-cache" } });
    assert.equal(await bypass.text(), first);
    assert.equal(calls, before + 1, "Cache-Control: no-cache goes to the database");

    const sql = adminSql();
    const id = crypto.randomUUID();
    try {
      await sql`insert into public.toxicity_records
                  (id, molecule_id, molecule_match, source_id, endpoint_id, value_type, raw_value, qualifier, value, unit,
                   conversion, citation, record_key)
                values (${id}, ${AMBIG_PUB.id}, 'exact', (select s.id from public.toxicity_sources s where s.name = 'apitest-source'),
                        (select e.id from public.toxicity_endpoints e where e.code = 'acute_oral_toxicity'), 'LD50', '10', '=', 10,
                        'mg/kg', 'as stated', 'cache invalidation test', encode(sha256(convert_to(${id}, 'UTF8')), 'hex'))`;
      await new Promise((r) => setTimeout(r, versionTtlMs + 50));
      const after = await (await app.request(path)).json();
      assert.ok(after.records.items.some((r: { id: string }) => r.id === id), "the new record is served");
    } finally {
      await sql`delete from public.toxicity_records where id = ${id}`;
      await sql.end();
    }
  },
});

Deno.test({
  name: "HTTP caching: ETag per caller, 304 on If-None-Match, private with Vary: Authorization",
  ...opts,
  fn: async () => {
    await setup();
    const cache = new ToxicityCache({ max: 1000, maxBytes: 1 << 24, ttlMs: 600_000, versionTtlMs: 600_000 });
    const apps = appsSharing(cache);
    const path = `/toxicity/molecules/${AMBIG_PUB.cas}`; // the same body for anon and Bob
    const r1 = await apps.anon.request(path);
    const etag = r1.headers.get("etag")!;
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/);
    assert.match(r1.headers.get("cache-control") ?? "", /private/);
    assert.match(r1.headers.get("vary") ?? "", /Authorization/i);
    const r2 = await apps.anon.request(path, { headers: { "if-none-match": etag } });
    assert.equal(r2.status, 304);
    assert.equal(await r2.text(), "");
    const bob = await apps.bob.request(path, { headers: { "if-none-match": etag } });
    assert.equal(bob.status, 200, "another caller's ETag never matches");
    assert.notEqual(bob.headers.get("etag"), etag);
    const s1 = await apps.anon.request("/toxicity/search?q=apitest");
    const s2 = await apps.anon.request("/toxicity/search?q=apitest", {
      headers: { "if-none-match": `W/${s1.headers.get("etag")}, "other"` },
    });
    assert.equal(s2.status, 304);
  },
});

Deno.test({
  name: "the candidate definers (names, search) answer only rows the caller may read, whoever calls them directly",
  ...opts,
  fn: async () => {
    await setup();
    const named = (claims: Record<string, unknown>) =>
      testDb().queryAs<{ id: string }[]>(
        claims as never,
        (tx) =>
          tx`select id::text from private.molecules_named(array[${SECRET.name}, ${AMBIG_PUB.name}, ${AMBIG_ALPHA.name}]::text[])`,
        { readOnly: true },
      );
    const hits = (claims: Record<string, unknown>) =>
      testDb().queryAs<{ id: string }[]>(
        claims as never,
        (tx) => tx`select id::text from private.molecule_search_hits('apitest', 100)`,
        { readOnly: true },
      );
    const svcRead = await liveServiceClaims(TEAMS.Alpha, "toxicity:read molecules:read");
    const svcNoMolecules = await liveServiceClaims(TEAMS.Alpha, "toxicity:read");
    const cases: [string, Record<string, unknown>, boolean, boolean][] = [
      // caller, claims, sees Alpha's molecules, sees public ones
      ["anon", CALLERS.anon.claims, false, true],
      ["bob", CALLERS.bob.claims, false, true],
      ["dave", CALLERS.dave.claims, false, true],
      ["alice", CALLERS.alice.claims, true, true],
      ["Alpha's client with molecules:read", svcRead, true, true],
      ["Alpha's client without molecules:read", svcNoMolecules, false, false],
    ];
    for (const [who, claims, alpha, pub] of cases) {
      for (
        const [what, rows] of [["molecules_named", await named(claims)], ["molecule_search_hits", await hits(claims)]]
      ) {
        const ids = (rows as { id: string }[]).map((r) => r.id);
        assert.equal(ids.includes(SECRET.id), alpha, `${who} ${what}: Alpha's private molecule`);
        assert.equal(ids.includes(AMBIG_ALPHA.id), alpha, `${who} ${what}: Alpha's private copy`);
        assert.equal(ids.includes(AMBIG_PUB.id), pub, `${who} ${what}: the public molecule`);
      }
    }
  },
});

Deno.test({
  name: "the cache version: a team's private write changes its members' version only; public writes everyone's",
  ...opts,
  fn: async () => {
    await setup();
    const version = async (p: Principal) =>
      (await testDb().queryAs<{ v: string }[]>(
        p.claims,
        (tx) => tx`select private.toxicity_read_version()::text as v`,
        {
          readOnly: true,
        },
      ))[0].v;
    const all = async () =>
      Object.fromEntries(await Promise.all(Object.entries(CALLERS).map(async ([k, p]) => [k, await version(p)])));
    const write = async (team: string | null) => {
      const sql = adminSql();
      try {
        await sql`update public.toxicity_records set duration = coalesce(duration, '') || ''
                  where molecule_id = ${PUB.id} and team_id is not distinct from ${team}`;
      } finally {
        await sql.end();
      }
    };
    const v0 = await all();
    assert.equal(new Set(Object.values(v0)).size, 4, "each read set has its own fingerprint");
    await write(TEAMS.Alpha);
    const v1 = await all();
    assert.notEqual(v1.alice, v0.alice, "Alpha's member sees a new version");
    assert.equal(v1.anon, v0.anon, "anon learns nothing of Alpha's write");
    assert.equal(v1.bob, v0.bob, "Beta's member learns nothing of it");
    assert.equal(v1.dave, v0.dave);
    await write(null);
    const v2 = await all();
    for (const who of Object.keys(CALLERS)) assert.notEqual(v2[who], v1[who], `${who}: a public write is everyone's`);
  },
});

Deno.test("identifier classification: kinds detected, values normalized, bad ones invalid with a reason", () => {
  const k = (i: Parameters<typeof classify>[0]) => classify(i);
  assert.deepEqual(k("67-68-5"), { ok: true, kind: "cas", value: "67-68-5" });
  assert.equal(k("67-68-4").ok, false);
  assert.deepEqual(k("iazdpxiomuyvgz-uhfffaoysa-n"), {
    ok: true,
    kind: "inchikey",
    value: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N",
  });
  assert.deepEqual(k("dtxsid2021735"), { ok: true, kind: "dtxsid", value: "DTXSID2021735" });
  assert.deepEqual(k("CID: 679"), { ok: true, kind: "pubchem_cid", value: "679" });
  assert.deepEqual(k("679"), { ok: true, kind: "pubchem_cid", value: "679" });
  assert.equal(k("99999999999999999999").kind, "name", "too long for a CID: a name");
  assert.equal(k({ kind: "pubchem_cid", value: "99999999999999999999" }).ok, false, "beyond bigint");
  assert.deepEqual(k("chembl504"), { ok: true, kind: "chembl_id", value: "CHEMBL504" });
  assert.deepEqual(k("dimethyl sulfoxide"), { ok: true, kind: "name", value: "dimethyl sulfoxide" });
  assert.deepEqual(k({ kind: "name", value: "67-68-5" }), { ok: true, kind: "name", value: "67-68-5" });
  assert.equal(k({ kind: "cas", value: "DMSO" }).ok, false);
  assert.equal(k({ kind: "id", value: "x" }).ok, false);
});

// --- Over HTTP, through the local gateway: real tokens ---

Deno.test({
  name: "over HTTP: users by token see their team's records; service clients need toxicity:read",
  ...opts,
  fn: async () => {
    await setup();
    const url = `${FUNCTIONS_URL}/toxicity/molecules/${PUB.id}`;
    const get = (token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const alice = await signToken({ iss: `${API}/auth/v1`, aud: "authenticated", role: "authenticated", sub: ALICE });
    const ra = await get(alice);
    const ta = await ra.text();
    assert.equal(ra.status, 200, ta);
    assert.match(ta, /ALPHA-SECRET-CITATION/);
    assertNoSecrets(ta, BETA_SECRETS, "alice over HTTP");
    const rn = await get();
    assertNoSecrets(await rn.text(), FORBIDDEN.anon, "anon over HTTP");

    const noScope = await getToken(await createClient("Alpha", "molecules:read"));
    const r403 = await get(noScope);
    assert.equal(r403.status, 403);
    assert.equal((await r403.json()).error.code, "insufficient_scope");
    const lookup403 = await fetch(`${FUNCTIONS_URL}/toxicity/lookup`, {
      ...json({ identifiers: [PUB.cas] }, { authorization: `Bearer ${noScope}` }),
    });
    assert.equal(lookup403.status, 403);
    await lookup403.body?.cancel();

    const svc = await getToken(await createClient("Alpha", "toxicity:read molecules:read"));
    const rs = await get(svc);
    const ts = await rs.text();
    assert.equal(rs.status, 200, ts);
    assert.match(ts, /ALPHA-SECRET-CITATION/, "the client reads its team's records");
    assertNoSecrets(ts, BETA_SECRETS, "Alpha's client");
    const bad = await get("not-a-token");
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
  },
});

Deno.test("over HTTP: browsers may send If-None-Match and read the ETag, cache status and CSV file name", async () => {
  const pre = await fetch(`${FUNCTIONS_URL}/toxicity/lookup`, {
    method: "OPTIONS",
    headers: {
      origin: "https://app.example.org",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, if-none-match",
    },
  });
  await pre.body?.cancel();
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get("access-control-allow-headers") ?? "", /if-none-match/i);
  const r = await fetch(`${FUNCTIONS_URL}/toxicity/search?q=glycerol`, {
    headers: { origin: "https://app.example.org" },
  });
  await r.body?.cancel();
  const exposed = (r.headers.get("access-control-expose-headers") ?? "").toLowerCase();
  for (const h of ["etag", "x-cache", "x-cache-hits", "content-disposition"]) assert.match(exposed, new RegExp(h));
});

Deno.test({
  name: "over HTTP: the OpenAPI document is valid OpenAPI 3.1 and describes every route the app serves",
  ...opts,
  fn: async () => {
    const r = await fetch(`${FUNCTIONS_URL}/toxicity/openapi.json`);
    assert.equal(r.status, 200);
    const doc = await r.json();
    const v = new Validator();
    const res = await v.validate(doc);
    assert.equal(v.version, "3.1");
    assert.ok(res.valid, JSON.stringify(res.errors));
    const app = createToxicityApp({ database: testDb, env: { CRYO_RATE_LIMIT_POINTS: "0" } });
    const served = new Set(
      app.routes.filter((rt) => rt.method !== "ALL").map((rt) =>
        `${rt.method.toLowerCase()} ${rt.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`
      ),
    );
    const documented = new Set(
      Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m} ${p}`)
      ),
    );
    assert.deepEqual([...served].sort(), [...documented].sort());
    assert.equal(TOXICITY_ROUTE_DOCS.length, documented.size);
  },
});

Deno.test({
  name: "over HTTP: /toxicity/metrics needs metrics:read and counts cache hits and misses",
  ...opts,
  fn: async () => {
    const anon = await fetch(`${FUNCTIONS_URL}/toxicity/metrics`);
    assert.equal(anon.status, 403);
    await anon.body?.cancel();
    for (let i = 0; i < 2; i++) await (await fetch(`${FUNCTIONS_URL}/toxicity/search?q=glycerol`)).text();
    const token = await getToken(await createClient("Alpha", "metrics:read"));
    const r = await fetch(`${FUNCTIONS_URL}/toxicity/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.match(text, /^cryo_toxicity_cache_hits_total\{route="search"\} [1-9]/m);
    assert.match(text, /^cryo_toxicity_cache_misses_total\{route="search",reason="[a-z]+"\} [1-9]/m);
    // Locally one process serves every function, so the health function's metrics show them too.
    const health = await fetch(`${FUNCTIONS_URL}/health/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(health.status, 200);
    assert.match(await health.text(), /^cryo_toxicity_cache_hits_total\{route="search"\} [1-9]/m);
  },
});

Deno.test({
  name: "remove the fixtures and close the test database",
  ...opts,
  fn: async () => {
    await removeToxicityFixtures();
    await db?.end();
  },
});
