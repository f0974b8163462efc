// The chart routes of the toxicity function: GET /toxicity/molecules/{ref}/chart and /mixtures/{id}/chart, as
// a Vega-Lite spec (validated against the schema vega-lite ships) or as SVG rendered on the server. In-process
// against the test stack's pooler (RLS as the caller), one request over HTTP through the gateway. Fixtures are
// Alpha-private rows made here as the project owner; a public molecule gets one Alpha-private record, which
// must never be drawn for anyone outside Alpha.
import assert from "node:assert/strict";
import Ajv from "ajv";
import vegaLiteSchema from "vega-lite/vega-lite-schema.json" with { type: "json" };
import { adminSql, FUNCTIONS_URL, POOLER_URL, signToken } from "./_helpers.ts";
import { TEAMS } from "./_tokens.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database } from "../supabase/functions/_shared/db.ts";
import { createToxicityApp } from "../supabase/functions/toxicity/app.ts";

const API = FUNCTIONS_URL.replace(/\/functions\/v1$/, "");
Deno.env.set("SUPABASE_URL", API); // the in-process verifier trusts the test stack's Auth
const ALICE = "a11ce000-0000-4000-8000-000000000001"; // owner of Alpha
const BOB = "b0b00000-0000-4000-8000-000000000002"; // editor of Beta
const user = (sub: string) => signToken({ iss: `${API}/auth/v1`, aud: "authenticated", role: "authenticated", sub });
const opts = { sanitizeOps: false, sanitizeResources: false };
const run = crypto.randomUUID().slice(0, 8);
const letters = run.toUpperCase().replace(/[^A-Z]/g, "Q").padEnd(8, "Q");
/** A name with markup in it: it must come out escaped in SVG and inert in JSON. */
const NAME = `Chart <b>&"x"</b> <script>alert(1)</script> ${run}`;

// deno-lint-ignore no-explicit-any
const ajv = new (Ajv as any)({ strict: false, allErrors: true, validateFormats: false, logger: false });
const validateVegaLite = ajv.compile(vegaLiteSchema);

type Fixture = { molecule: string; inchikey: string; source: string; mixture: string; publicDmso: string };

const sha = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");

async function setup(): Promise<Fixture> {
  const sql = adminSql();
  try {
    const inchikey = `CHARTTEST${letters.slice(0, 5)}-${letters.padEnd(10, "Q").slice(0, 10)}-N`;
    const [m] = await sql`insert into public.molecules (name, smiles, inchikey, molecular_weight, source, team_id,
        visibility)
      values (${NAME}, 'CCCCO', ${inchikey}, 74.123, 'chart test', ${TEAMS.Alpha}, 'team') returning id::text`;
    const [src] = await sql`insert into public.toxicity_sources (name, title)
      values (${`charttest-${run}`}, 'chart test records') returning id::text`;
    const endpoint = async (code: string) =>
      (await sql`select id::text from public.toxicity_endpoints where code = ${code}`)[0].id as string;
    let n = 0;
    const rec = async (
      molecule: string,
      type: string,
      q: string,
      value: number,
      unit: string,
      code: string,
      species: string | null,
    ) =>
      await sql`insert into public.toxicity_records (molecule_id, molecule_match, source_id, endpoint_id, value_type,
          raw_value, qualifier, value, unit, conversion, species, route, record_key, team_id, visibility)
        values (${molecule}, 'exact', ${src.id}, ${await endpoint(code)}, ${type}, ${String(value)}, ${q}, ${value},
          ${unit}, 'as given', ${species}, ${type === "LD50" ? "oral" : null}, ${await sha(`chart-${run}-${n++}`)},
          ${TEAMS.Alpha}, 'team')`;
    await rec(m.id, "LD50", "=", 1200, "mg/kg", "acute_oral_toxicity", "rat");
    await rec(m.id, "LD50", ">", 2000, "mg/kg", "acute_oral_toxicity", "rat");
    await rec(m.id, "LD50", "~", 900, "mg/kg", "acute_oral_toxicity", "mouse");
    await rec(m.id, "hit_call", "=", 1, "call", "cytotoxicity", null);
    await rec(m.id, "hit_call", "=", 0, "call", "cytotoxicity", null);
    await rec(m.id, "hit_call", "=", 0, "call", "genotoxicity", null);
    const [pub] = await sql`select id::text from public.molecules
      where inchikey = 'IAZDPXIOMUYVGZ-UHFFFAOYSA-N' and visibility = 'public'`;
    await rec(pub.id, "LD50", "=", 3.25, "mg/kg", "acute_oral_toxicity", "rat"); // Alpha-private, on a public molecule
    const [mx] = await sql`insert into public.mixtures (name, source, team_id, visibility)
      values (${`${NAME} mixture`}, 'chart test', ${TEAMS.Alpha}, 'team') returning id::text`;
    await sql`insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, role)
      values (${mx.id}, ${m.id}, 10, '% w/v', 'penetrating'), (${mx.id}, ${pub.id}, 20, '% w/v', 'penetrating')`;
    return { molecule: m.id, inchikey, source: src.id, mixture: mx.id, publicDmso: pub.id };
  } finally {
    await sql.end();
  }
}

let fixture: Promise<Fixture> | undefined;
async function withApp(fn: (app: ReturnType<typeof createToxicityApp>, f: Fixture) => Promise<void>) {
  fixture ??= setup();
  const db = new Database(loadConfig({ CRYO_ENV: "local", CRYO_LOG_LEVEL: "error", CRYO_DB_URL: POOLER_URL }));
  try {
    await fn(createToxicityApp({ database: () => db, env: {} }), await fixture);
  } finally {
    await db.end();
  }
}
Deno.test.afterAll?.(async () => {
  if (!fixture) return;
  const f = await fixture;
  const sql = adminSql();
  try {
    await sql`delete from public.mixtures where id = ${f.mixture}`;
    await sql`delete from public.toxicity_records where source_id = ${f.source}`;
    await sql`delete from public.toxicity_sources where id = ${f.source}`;
    await sql`delete from public.molecules where id = ${f.molecule}`;
  } finally {
    await sql.end();
  }
});

async function get(app: ReturnType<typeof createToxicityApp>, path: string, token?: string, accept?: string) {
  const r = await app.request(`/toxicity${path}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(accept ? { accept } : {}) },
  });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

function assertSafeSvg(svg: string) {
  assert.ok(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"), "an SVG document");
  assert.ok(svg.length > 500, "not empty");
  assert.doesNotMatch(svg, /<script|\son[a-z]+\s*=|javascript:|<foreignObject/i, "nothing active");
}

Deno.test({
  name: "molecule chart: a Vega-Lite spec (schema-valid) with LD50s on a log scale, qualifiers and hit calls",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const alice = await user(ALICE);
      for (const ref of [f.molecule, f.inchikey]) {
        const r = await get(app, `/molecules/${ref}/chart`, alice);
        assert.equal(r.status, 200, r.text);
        assert.match(r.headers.get("content-type")!, /application\/json/);
        assert.equal(r.headers.get("cache-control"), "private, max-age=60");
        assert.match(r.headers.get("vary")!, /Authorization/);
        const spec = JSON.parse(r.text);
        assert.ok(validateVegaLite(spec), JSON.stringify(validateVegaLite.errors?.slice(0, 3)));
        assert.equal(spec.title.text, NAME);
        const ld50 = spec.vconcat[0];
        assert.equal(ld50.layer[0].encoding.x.scale.type, "log");
        const mine = ld50.data.values.filter((v: { this_molecule: boolean }) => v.this_molecule);
        assert.deepEqual(
          mine.map((v: { value: number; qualifier: string }) => `${v.qualifier}${v.value}`),
          ["~900", "=1200", ">2000"],
          "every LD50, each with its qualifier",
        );
        assert.ok(mine.some((v: { bound: string }) => v.bound === "lower bound (>)"), "a '>' is drawn as a bound");
        const hits = spec.vconcat[1].data.values;
        assert.deepEqual(
          hits.filter((h: { endpoint: string }) => h.endpoint === "cytotoxicity").map((h: { n: number }) => h.n),
          [1, 1],
          "cytotoxicity: 1 active, 1 inactive",
        );
      }
      // The molecule among other CPAs: Alpha's private record on the public DMSO is the lowest oral LD50 Alice sees.
      const spec = JSON.parse((await get(app, `/molecules/${f.molecule}/chart`, alice)).text);
      const others = spec.vconcat[0].data.values.filter((v: { this_molecule: boolean }) => !v.this_molecule);
      assert.ok(others.some((v: { value: number }) => v.value === 3.25), "other CPAs are drawn beside it");
    }),
});

Deno.test({
  name: "molecule chart as SVG (Accept or ?format=svg): non-empty, nothing active, the name escaped",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const alice = await user(ALICE);
      for (const [q, accept] of [["?format=svg", undefined], ["", "image/svg+xml"]] as const) {
        const r = await get(app, `/molecules/${f.molecule}/chart${q}`, alice, accept);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get("content-type"), "image/svg+xml; charset=utf-8");
        assert.match(r.headers.get("vary")!, /Accept/);
        assert.match(r.headers.get("content-security-policy")!, /default-src 'none'/);
        assertSafeSvg(r.text);
        assert.ok(r.text.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "the name is in it, escaped");
        assert.ok(r.text.includes("&lt;b&gt;&amp;"), "markup and ampersands escaped");
      }
    }),
});

Deno.test({
  name: "charts never draw a team's private molecule or record for another caller",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const alice = await user(ALICE);
      const forAlice = await get(app, `/molecules/67-68-5/chart`, alice);
      assert.equal(forAlice.status, 200, forAlice.text);
      assert.ok(forAlice.text.includes(`charttest-${run}`), "Alpha sees its own record on the public molecule");
      for (const token of [await user(BOB), undefined]) {
        for (const format of ["", "?format=svg"]) {
          const pub = await get(app, `/molecules/67-68-5/chart${format}`, token);
          assert.equal(pub.status, 200);
          assert.ok(!pub.text.includes(`charttest-${run}`), "never Alpha's record (its source)");
          assert.ok(!pub.text.includes(run), "nothing of Alpha's fixture at all");
          if (format) assertSafeSvg(pub.text);
          else assert.ok(validateVegaLite(JSON.parse(pub.text)), "valid also with nothing (or little) to draw");
          const priv = await get(app, `/molecules/${f.molecule}/chart${format}`, token);
          assert.equal(priv.status, 404, "Alpha's private molecule does not exist for others");
          assert.ok(!priv.text.includes(run));
          const mx = await get(app, `/mixtures/${f.mixture}/chart${format}`, token);
          assert.equal(mx.status, 404);
        }
      }
    }),
});

Deno.test({
  name: "mixture chart: component contributions as a valid spec and as SVG, for the mixture's team",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const alice = await user(ALICE);
      const q = "?solution_density=1.02&carrier=water&carrier_reason=presumed%20not%20acutely%20toxic";
      const r = await get(app, `/mixtures/${f.mixture}/chart${q}`, alice);
      assert.equal(r.status, 200, r.text);
      const spec = JSON.parse(r.text);
      assert.ok(validateVegaLite(spec), JSON.stringify(validateVegaLite.errors?.slice(0, 3)));
      const rows = spec.hconcat[0].data.values as { component: string; share: number; percent_w_w: number }[];
      // 10 % w/v / 1.02 = 9.803922 % w/w (ATE 1200, rat exact), 20 % w/v / 1.02 = 19.607843 % w/w (DMSO, lowest
      // rat exact Alice reads: her private 3.25): shares 9.803922/1200 = 0.0081699 and 19.607843/3.25 = 6.0332
      // of Σ = 6.0413 → 0.00135 and 0.99865.
      const mine = rows.find((x) => x.component === NAME)!;
      assert.ok(Math.abs(mine.percent_w_w - 9.803922) < 1e-5, String(mine.percent_w_w));
      assert.ok(Math.abs(mine.share - 0.0081699 / 6.0413) < 1e-4, String(mine.share));
      const svg = await get(app, `/mixtures/${f.mixture}/chart${q}&format=svg`, alice);
      assert.equal(svg.status, 200, svg.text);
      assertSafeSvg(svg.text);
      assert.ok(svg.text.includes("&lt;script&gt;"), "component names escaped");
      // Without a density the estimate is not computed: the chart says so rather than drawing guesses.
      const bare = JSON.parse((await get(app, `/mixtures/${f.mixture}/chart`, alice)).text);
      assert.match(bare.title.subtitle, /not computed/);
    }),
});

Deno.test({
  name: "chart routes: bad input is a 4xx with a code, never a 5xx",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const cases: [string, number, string][] = [
        ["/molecules/dmso/chart", 400, "INVALID_INPUT"],
        ["/molecules/67-68-4/chart", 400, "INVALID_IDENTIFIER"],
        [`/molecules/${f.molecule}/chart?format=png`, 400, "INVALID_INPUT"],
        [`/molecules/${f.molecule}/chart?x=1`, 400, "INVALID_INPUT"],
        ["/molecules/AAAAAAAAAAAAAA-BBBBBBBBBB-N/chart", 404, "NOT_FOUND"],
        [`/molecules/${encodeURIComponent("'; drop table public.molecules; --")}/chart`, 400, "INVALID_INPUT"],
        [`/molecules/${encodeURIComponent("<script>")}/chart?format=svg`, 400, "INVALID_INPUT"],
        ["/mixtures/not-a-uuid/chart", 400, "INVALID_INPUT"],
        [`/mixtures/${f.mixture}/chart?solution_density=0`, 400, "INVALID_INPUT"],
        [`/mixtures/${f.mixture}/chart?carrier=water`, 400, "INVALID_INPUT"],
        [`/mixtures/${crypto.randomUUID()}/chart`, 404, "NOT_FOUND"],
      ];
      for (const [path, status, code] of cases) {
        const r = await get(app, path, await user(ALICE));
        assert.equal(r.status, status, `${path}: ${r.text}`);
        assert.equal(JSON.parse(r.text).error.code, code, path);
        assert.ok(!r.text.includes("<script>"), `${path}: not echoed`);
      }
    }),
});

Deno.test({
  name: "over HTTP: the gateway serves a public molecule's chart as SVG to anon",
  ...opts,
  fn: async () => {
    const r = await fetch(`${FUNCTIONS_URL}/toxicity/molecules/67-68-5/chart`, {
      headers: { accept: "image/svg+xml" },
    });
    const svg = await r.text();
    assert.equal(r.status, 200, svg);
    assertSafeSvg(svg);
    assert.ok(svg.includes("dimethyl sulfoxide"));
  },
});
