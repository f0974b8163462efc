// The mixture routes of the toxicity function: POST /toxicity/mixtures/estimate and GET /toxicity/mixtures/{id},
// in-process through the app factory against the test stack's pooler (as the caller: RLS decides), and over
// HTTP for the service-token scope. Fixtures are made here as the project owner, in team Alpha, private (so
// no seed row and no other helper's data changes a number): copies of the CPAs with their real structures,
// and toxicity records carrying the values of /work/shared/data/cpa-facts.md labelled V or V2. Densities are
// ASSUMPTIONS of the tests (supabase/functions/_shared/mixtures/_cases.ts, label U), never facts.
import assert from "node:assert/strict";
import { adminSql, FUNCTIONS_URL, POOLER_URL, signToken } from "./_helpers.ts";
import { createClient, getToken, TEAMS } from "./_tokens.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { Database } from "../supabase/functions/_shared/db.ts";
import { createToxicityApp } from "../supabase/functions/toxicity/app.ts";
import { EstimateResponse, MAX_COMPONENTS } from "../supabase/functions/toxicity/mixture-schemas.ts";

const API = FUNCTIONS_URL.replace(/\/functions\/v1$/, "");
// The in-process verifier reads SUPABASE_URL on first use: the test stack's Auth issues the user tokens.
Deno.env.set("SUPABASE_URL", API);
const ALICE = "a11ce000-0000-4000-8000-000000000001"; // owner of Alpha
const BOB = "b0b00000-0000-4000-8000-000000000002"; // editor of Beta
const user = (sub: string) => signToken({ iss: `${API}/auth/v1`, aud: "authenticated", role: "authenticated", sub });
const opts = { sanitizeOps: false, sanitizeResources: false };
const run = crypto.randomUUID().slice(0, 8);

/** |a − b| ≤ tol, with both in the message. */
function close(a: number | null | undefined, b: number, tol = 1e-6, what = "") {
  assert.ok(typeof a === "number" && Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} ≈ ${b}`);
}

type Fixture = {
  mol: Record<string, string>;
  source: string;
  mixture: string;
  /** An Alpha-private record on the PUBLIC dimethyl sulfoxide (LD50 = 1 mg/kg: it would dominate any sum). */
  privateRecordOnPublic: string;
  publicDmso: string;
};

// The CPAs: names carry the run tag (no clash with the seed's public molecules), structures are real.
const MOLECULES: Record<string, { smiles: string | null; inchikey: string | null; mw: number | null }> = {
  DMSO: { smiles: "CS(C)=O", inchikey: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", mw: 78.136 },
  formamide: { smiles: "NC=O", inchikey: "ZHNUHDYFZUAESO-UHFFFAOYSA-N", mw: 45.041 },
  PG12: { smiles: "CC(O)CO", inchikey: "DNIAPMSPPWPWGF-UHFFFAOYSA-N", mw: 76.095 },
  EG: { smiles: "OCCO", inchikey: "LYCAIKOWRPUZTN-UHFFFAOYSA-N", mw: 62.068 },
  NMF: { smiles: "CNC=O", inchikey: "ATHHXGZTWNVVOU-UHFFFAOYSA-N", mw: 59.068 },
  MPD: { smiles: "COCC(O)CO", inchikey: "PSJBSUHYCGQTHZ-UHFFFAOYSA-N", mw: 106.121 },
  PVP: { smiles: null, inchikey: null, mw: null },
  X1000: { smiles: null, inchikey: null, mw: null },
  Z1000: { smiles: null, inchikey: null, mw: null },
};

const sha = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");

async function setup(): Promise<Fixture> {
  const sql = adminSql();
  try {
    const mol: Record<string, string> = {};
    for (const [k, m] of Object.entries(MOLECULES)) {
      const [row] = await sql`insert into public.molecules (kind, name, smiles, inchikey, molecular_weight, source,
          team_id, visibility)
        values (${m.smiles ? "small_molecule" : "polymer"}, ${`${k} mixtest ${run}`}, ${m.smiles}, ${m.inchikey},
          ${m.mw}, 'mixture test', ${TEAMS.Alpha}, 'team') returning id::text`;
      mol[k] = row.id;
    }
    const [src] = await sql`insert into public.toxicity_sources (name, title, citation)
      values (${`mixtest-${run}`}, 'cpa-facts.md values (tests)', '/work/shared/data/cpa-facts.md') returning id::text`;
    const [{ id: endpoint }] = await sql`select id::text from public.toxicity_endpoints
      where code = 'acute_oral_toxicity'`;
    let n = 0;
    const record = async (
      molecule: string,
      value: number,
      species: string | null,
      route: string | null,
      citation: string,
      team: string | null = TEAMS.Alpha,
      qualifier = "=",
    ) => {
      const [r] = await sql`insert into public.toxicity_records (molecule_id, molecule_match, source_id, endpoint_id,
          value_type, raw_value, qualifier, value, unit, conversion, species, route, citation, record_key, team_id,
          visibility)
        values (${molecule}, 'exact', ${src.id}, ${endpoint}, 'LD50', ${String(value)}, ${qualifier}, ${value},
          'mg/kg', 'as given (mg/kg)', ${species}, ${route}, ${citation}, ${await sha(`${run}-${n++}`)}, ${team},
          ${team ? "team" : "public"}) returning id::text`;
      return r.id as string;
    };
    // cpa-facts.md, Molecules table (label V / V2):
    await record(mol.DMSO, 14500, "rat", "oral", "acute/repeated inhalation study abstract, Sprague-Dawley rats (V)");
    await record(mol.DMSO, 3100, "mouse", "intravenous", "cpa-facts.md (V)"); // not oral: never used
    await record(mol.formamide, 7500, "rat", "oral", "Eastman Kodak 1984 (OTS-0206566) (V)");
    await record(mol.PG12, 21000, "dog", "oral", "Haz-Map citing AIHA (V)");
    await record(mol.EG, 5840, "rat", "oral", "MSDS (V)");
    // N-methylformamide's rat ≈ 4,000 is labelled U in cpa-facts.md: not stored; 3-methoxy-1,2-propanediol: none found.
    const [pub] = await sql`select id::text from public.molecules
      where inchikey = 'IAZDPXIOMUYVGZ-UHFFFAOYSA-N' and visibility = 'public'`;
    const privateRecordOnPublic = await record(pub.id, 1, "rat", "oral", `private Alpha record ${run}`);
    // A saved Alpha mixture: VS55 (cpa-facts.md, Named solutions, V2).
    const [mx] = await sql`insert into public.mixtures (name, source, team_id, visibility)
      values (${`VS55 mixtest ${run}`}, 'cpa-facts.md (V2)', ${TEAMS.Alpha}, 'team') returning id::text`;
    await sql`insert into public.mixture_components (mixture_id, molecule_id, concentration, unit, role) values
      (${mx.id}, ${mol.DMSO}, 3.1, 'M', 'penetrating'), (${mx.id}, ${mol.formamide}, 3.1, 'M', 'penetrating'),
      (${mx.id}, ${mol.PG12}, 2.2, 'M', 'penetrating')`;
    return { mol, source: src.id, mixture: mx.id, privateRecordOnPublic, publicDmso: pub.id };
  } finally {
    await sql.end();
  }
}

async function teardown(f: Fixture) {
  const sql = adminSql();
  try {
    await sql`delete from public.mixtures where id = ${f.mixture}`;
    await sql`delete from public.toxicity_records where source_id = ${f.source}`;
    await sql`delete from public.toxicity_sources where id = ${f.source}`;
    await sql`delete from public.molecules where id = any(${Object.values(f.mol)}::uuid[])`;
  } finally {
    await sql.end();
  }
}

let fixture: Promise<Fixture> | undefined;
let users = 0;
/** The app on its own Database and the shared fixture; the last user tears the fixture down. */
async function withApp(fn: (app: ReturnType<typeof createToxicityApp>, f: Fixture) => Promise<void>) {
  fixture ??= setup();
  users++;
  const db = new Database(loadConfig({ CRYO_ENV: "local", CRYO_LOG_LEVEL: "error", CRYO_DB_URL: POOLER_URL }));
  try {
    await fn(createToxicityApp({ database: () => db, env: {} }), await fixture);
  } finally {
    await db.end();
  }
}
Deno.test.afterAll?.(async () => {
  if (fixture) await teardown(await fixture);
});

async function estimate(app: ReturnType<typeof createToxicityApp>, body: unknown, token?: string) {
  const r = await app.request("/toxicity/mixtures/estimate", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

Deno.test({
  name: "VS55 by hand: 3.1 M DMSO + 3.1 M formamide + 2.2 M 1,2-propanediol in Euro-Collins, ρ 1.05 assumed",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const alice = await user(ALICE);
      const r = await estimate(app, {
        components: [
          { molecule: f.mol.DMSO, value: 3.1, unit: "M", penetrating: true },
          { molecule: f.mol.formamide, value: 3.1, unit: "M", penetrating: true },
          { molecule: f.mol.PG12, value: 2.2, unit: "M", penetrating: true },
        ],
        solution_density: 1.05,
        water: "remainder",
        carrier: { name: "Euro-Collins", reason: "buffered salt vehicle, presumed not acutely toxic" },
      }, alice);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.headers.get("vary"), "Authorization");
      const shape = EstimateResponse.safeParse(r.body);
      assert.ok(shape.success, JSON.stringify(shape.error?.issues.slice(0, 3)));
      const e = r.body.estimate;
      // % w/w = c × MW / (10 ρ): DMSO 3.1 × 78.136 / 10.5 = 23.068724; formamide 3.1 × 45.041 / 10.5 = 13.297819;
      // 1,2-propanediol 2.2 × 76.095 / 10.5 = 15.943714. Each conversion states the density it assumed.
      close(e.conversions[0].percent_w_w, 23.068724, 1e-6);
      close(e.conversions[1].percent_w_w, 13.297819, 1e-6);
      close(e.conversions[2].percent_w_w, 15.943714, 1e-6);
      assert.equal(e.conversions[0].assumed.solution_density_g_per_ml, 1.05);
      assert.equal(e.conversions[0].assumed.mw_g_per_mol, 78.136);
      // 100 / ATE = 23.068724/14500 + 13.297819/7500 + 15.943714/21000
      //           = 0.00159095 + 0.00177304 + 0.00075922 = 0.00412321 → ATE_mix = 24,252.9 mg/kg
      const a = e.acute_oral;
      close(a.estimate.sum_terms, 0.0041232135, 1e-6);
      close(a.estimate.ate_mix, 24252.93, 1e-5);
      assert.equal(a.estimate.qualifier, "=");
      // GHS §3.1.3.6: no ingredient ≤ 5000 mg/kg → not classified.
      assert.equal(a.ghs.category, "not classified");
      // Which value, and why: DMSO rat oral (tier 1), the mouse iv value not used (not oral); propanediol a dog's.
      assert.equal(a.components[0].used.ate, 14500);
      assert.equal(a.components[0].used.species, "rat");
      assert.equal(a.components[0].used.tier, 1);
      assert.deepEqual(a.components[0].not_used.map((x: { reason: string }) => x.reason), ["not an oral value"]);
      assert.equal(a.components[2].used.tier, 2);
      assert.match(a.components[2].used.why, /dog/);
      // shares of Σ: 0.00159095/0.00412321 = 0.3859, 0.4300, 0.1841
      close(a.components[0].estimate_share, 0.38585, 1e-3);
      close(a.components[1].estimate_share, 0.43001, 1e-3);
      // qv* = water / Σ polar groups, per 100 g: water = 100 − 52.310257 = 47.689743 g → 2.647224 mol;
      // DMSO 23.068724/78.136 = 0.295238 mol × 1 (S=O), formamide 13.297819/45.041 = 0.295238 × 1 (amide),
      // propanediol 15.943714/76.095 = 0.209524 × 2 (OH) → Σ = 1.009524 → qv* = 2.622
      close(e.qv.qv_star, 2.6222, 1e-3);
      assert.deepEqual(e.qv.terms.map((t: { groups_per_molecule: number }) => t.groups_per_molecule), [1, 1, 2]);
      // Known pair: DMSO + formamide (Fahy 2010, Cryobiology 60:S45; cpa-facts.md V).
      assert.equal(e.interactions.flags.length, 1);
      assert.match(e.interactions.flags[0].citation, /Fahy/);
      assert.equal(e.interactions.flags[0].evidence, "V");
      // Every candidate record the caller may read is listed beside the choice.
      assert.equal(r.body.components[0].toxicity_values.length, 2);
      assert.equal(r.body.components[0].matched_by, "id");
    }),
});

Deno.test({
  name: "M22 by hand (% w/v of cpa-facts.md, U; ρ 1.07 assumed): 11.03 % of unknown toxicity triggers §3.1.3.6.2.3",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const alice = await user(ALICE);
      const pen = (k: string, v: number) => ({ molecule: f.mol[k], value: v, unit: "% w/v", penetrating: true });
      const poly = (k: string, v: number) => ({
        molecule: f.mol[k],
        value: v,
        unit: "% w/v",
        penetrating: false,
        reason: "polymer",
      });
      const r = await estimate(app, {
        components: [
          pen("DMSO", 22.305),
          pen("formamide", 12.858),
          pen("EG", 16.837),
          pen("NMF", 3),
          pen("MPD", 4),
          poly("PVP", 2.8),
          poly("X1000", 1),
          poly("Z1000", 2),
        ],
        solution_density: 1.07,
        water: "remainder",
        carrier: { name: "LM5", reason: "the carrier solution named by Fahy et al. 2004, presumed not acutely toxic" },
      }, alice);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const a = r.body.estimate.acute_oral;
      // % w/w = % w/v / 1.07: DMSO 20.845794, formamide 12.016822, EG 15.735514; unknown: NMF 2.803738,
      // MPD 3.738318, PVP 2.616822, Z-1000 1.869159 → Σ 11.028037 % (> 10 %); X-1000 0.934579 % (< 1 %, not relevant).
      close(a.estimate.unknown_percent, 11.028037, 1e-6);
      assert.equal(a.estimate.unknown_adjustment, true);
      // (100 − 11.028037) / ATE = 20.845794/14500 + 12.016822/7500 + 15.735514/5840
      //                         = 0.00143764 + 0.00160224 + 0.00269444 = 0.00573432 → ATE = 88.971963 / 0.00573432
      //                         = 15,515.6 mg/kg
      close(a.estimate.sum_terms, 0.00573432, 1e-5);
      close(a.estimate.ate_mix, 88.971963 / 0.00573432, 1e-4);
      const byName = (k: string) =>
        a.components.find((c: { name: string }) => c.name === `${k} mixtest ${run}`) as {
          status: string;
          used: unknown;
        };
      assert.equal(byName("NMF").status, "unknown", "no value: named as unknown, not guessed");
      assert.equal(byName("MPD").used, null);
      assert.equal(byName("X1000").status, "not relevant (< 1 %)");
      assert.ok(a.unknown_statement.includes("11.0"), a.unknown_statement);
      assert.ok(a.missing.some((m: string) => m.includes(`NMF mixtest ${run}`)), JSON.stringify(a.missing));
      // qv* (LM5 taken as water: an upper bound) = 2.18925 / 1.15855 = 1.890; polymers listed as not counted.
      close(r.body.estimate.qv.qv_star, 1.890, 2e-3);
      assert.equal(r.body.estimate.qv.not_counted.length, 3);
    }),
});

Deno.test({
  name: "binary cocktail by hand: 15 % v/v ethylene glycol + 15 % v/v DMSO (PMC10215456), densities assumed",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const alice = await user(ALICE);
      const r = await estimate(app, {
        components: [
          { molecule: f.mol.EG, value: 15, unit: "% v/v", density: 1.113 },
          { molecule: f.mol.DMSO, value: 15, unit: "%v/v", density: 1.1 },
        ],
        solution_density: 1.03,
      }, alice);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const e = r.body.estimate;
      // % w/w = (v/v) × ρ_i / ρ_solution: EG 15 × 1.113 / 1.03 = 16.208738; DMSO 15 × 1.1 / 1.03 = 16.019417
      close(e.conversions[0].percent_w_w, 16.208738, 1e-6);
      close(e.conversions[1].percent_w_w, 16.019417, 1e-6);
      assert.equal(e.conversions[0].assumed.component_density_g_per_ml, 1.113);
      // No carrier named: the unnamed 67.77 % is unknown toxicity (> 10 %): (100 − 67.771845) / ATE =
      // 16.208738/5840 + 16.019417/14500 = 0.00277547 + 0.00110479 = 0.00388026 → ATE = 32.228155/0.00388026 = 8,305.7
      close(e.acute_oral.estimate.sum_terms, 0.00388026, 1e-5);
      close(e.acute_oral.estimate.ate_mix, 32.228155 / 0.00388026, 1e-4);
      // qv* needs the water content: not computed, with the reason.
      assert.equal(e.qv, null);
      assert.ok(e.not_computed.some((n: { part: string }) => n.part === "qv"));

      // With water named as the carrier: 100 / ATE = 0.00388026 → 25,771 mg/kg (docs/mixture-estimate.md).
      const w = await estimate(app, {
        components: [
          { molecule: f.mol.EG, value: 15, unit: "% v/v", density: 1.113 },
          { molecule: f.mol.DMSO, value: 15, unit: "% v/v", density: 1.1 },
        ],
        solution_density: 1.03,
        carrier: { name: "water", reason: "presumed not acutely toxic (GHS §3.1.3.6)" },
      }, alice);
      close(w.body.estimate.acute_oral.estimate.ate_mix, 100 / 0.00388026, 1e-4);
    }),
});

Deno.test({
  name: "one component of unknown toxicity: 20 % w/w DMSO + 15 % w/w 3-methoxy-1,2-propanediol in water",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const alice = await user(ALICE);
      const body = (mpd: number) => ({
        components: [
          { molecule: f.mol.DMSO, value: 20, unit: "% w/w" },
          { molecule: f.mol.MPD, value: mpd, unit: "% w/w" },
        ],
        carrier: { name: "water", reason: "presumed not acutely toxic (GHS §3.1.3.6)" },
      });
      // (100 − 15) / ATE = 20/14500 = 0.00137931 → ATE = 85 / 0.00137931 = 61,625 mg/kg
      const r = await estimate(app, body(15), alice);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      close(r.body.estimate.acute_oral.estimate.ate_mix, 61625, 1e-6);
      assert.equal(r.body.estimate.acute_oral.estimate.unknown_adjustment, true);
      assert.match(r.body.estimate.acute_oral.unknown_statement, /15/);
      // 5 % unknown (≤ 10 %): no adjustment, 100 / ATE = 20/14500 → 72,500 mg/kg
      const s = await estimate(app, body(5), alice);
      close(s.body.estimate.acute_oral.estimate.ate_mix, 72500, 1e-6);
      assert.equal(s.body.estimate.acute_oral.estimate.unknown_adjustment, false);
    }),
});

Deno.test({
  name: "molecules by InChIKey, CAS and name; an ambiguous reference is refused with its candidates",
  ...opts,
  fn: () =>
    withApp(async (app) => {
      // As anon: the seed's public molecules only.
      const r = await estimate(app, {
        components: [
          { molecule: "dimethyl sulfoxide", value: 10, unit: "% w/w" },
          { molecule: "75-12-7", value: 10, unit: "% w/w" },
          { molecule: "DNIAPMSPPWPWGF-UHFFFAOYSA-N", value: 10, unit: "% w/w" },
          { molecule: "EG", value: 10, unit: "% w/w" }, // a synonym
        ],
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.components.map((c: { matched_by: string }) => c.matched_by), [
        "name",
        "cas",
        "inchikey",
        "name",
      ]);
      assert.ok(
        r.body.components.every((c: { molecule: { visibility: string } }) => c.molecule.visibility === "public"),
      );
      // Alice also reads Alpha's private DMSO copy: the InChIKey names two molecules.
      const a = await estimate(app, {
        components: [{ molecule: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", value: 10, unit: "% w/w" }],
      }, await user(ALICE));
      assert.equal(a.status, 422);
      assert.equal(a.body.error.code, "AMBIGUOUS_MOLECULE");
      assert.ok(a.body.error.details[0].candidates.length >= 2);
    }),
});

Deno.test({
  name: "a team's private molecules and records never reach another caller's estimate",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const composition = { components: [{ molecule: f.publicDmso, value: 20, unit: "% w/w" }] };
      // Alice (Alpha) sees Alpha's private record on the public DMSO: it is the lowest rat oral value.
      const a = await estimate(app, composition, await user(ALICE));
      assert.equal(a.status, 200);
      assert.ok(JSON.stringify(a.body).includes(f.privateRecordOnPublic), "Alpha's own record is used for Alpha");
      assert.equal(a.body.estimate.acute_oral.components[0].used.ate, 1);
      for (const token of [await user(BOB), undefined]) {
        const b = await estimate(app, composition, token);
        assert.equal(b.status, 200);
        const text = JSON.stringify(b.body);
        assert.ok(!text.includes(f.privateRecordOnPublic), "never Alpha's record id");
        assert.ok(!text.includes(`private Alpha record ${run}`), "never its citation");
        assert.notEqual(b.body.estimate.acute_oral.components[0].used?.ate, 1, "never its value");
        // Alpha's private molecule is unknown to Bob and anon, by id; nothing about it is told.
        const m = await estimate(app, { components: [{ molecule: f.mol.DMSO, value: 20, unit: "% w/w" }] }, token);
        assert.equal(m.status, 422);
        assert.equal(m.body.error.code, "UNKNOWN_MOLECULE");
        assert.ok(!JSON.stringify(m.body).includes(f.mol.DMSO), "the reference is not echoed");
      }
    }),
});

Deno.test({
  name: "GET /mixtures/{id}: the saved mixture with its estimate for its team; 404 for everyone else",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const get = async (path: string, token?: string) => {
        const r = await app.request(`/toxicity${path}`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        return { status: r.status, headers: r.headers, body: await r.json() };
      };
      const alice = await user(ALICE);
      const q = "?solution_density=1.05&water=remainder&carrier=Euro-Collins&carrier_reason=buffered%20salt%20vehicle";
      const r = await get(`/mixtures/${f.mixture}${q}`, alice);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.headers.get("cache-control"), "private, no-cache");
      assert.equal(r.headers.get("vary"), "Authorization");
      assert.equal(r.body.mixture.name, `VS55 mixtest ${run}`);
      assert.ok(EstimateResponse.safeParse(r.body).success, "the documented shape");
      // The same arithmetic as the VS55 case above: ATE_mix = 24,252.9 mg/kg, qv* = 2.622 (roles stored).
      close(r.body.estimate.acute_oral.estimate.ate_mix, 24252.93, 1e-5);
      close(r.body.estimate.qv.qv_star, 2.6222, 1e-3);
      // Without a density the M conversions are not made: said, not guessed.
      const n = await get(`/mixtures/${f.mixture}`, alice);
      assert.equal(n.status, 200);
      assert.equal(n.body.estimate.acute_oral, null);
      assert.match(n.body.estimate.not_computed[0].reason, /solution density|solution_density/);
      for (const token of [await user(BOB), undefined]) {
        const b = await get(`/mixtures/${f.mixture}${q}`, token);
        assert.equal(b.status, 404);
        assert.equal(b.body.error.code, "NOT_FOUND");
      }
      // A public seed mixture, as anon.
      const admin = adminSql();
      const [vs55] = await admin`select id::text from public.mixtures where name = 'VS55' and visibility = 'public'`;
      await admin.end();
      if (vs55) assert.equal((await get(`/mixtures/${vs55.id}?solution_density=1.05`)).status, 200);
      for (
        const bad of ["not-a-uuid", `${f.mixture}?nope=1`, `${f.mixture}?solution_density=-1`, `${f.mixture}?carrier=x`]
      ) {
        const b = await get(`/mixtures/${bad}`, alice);
        assert.equal(b.status, 400, bad);
        assert.equal(b.body.error.code, "INVALID_INPUT", bad);
      }
    }),
});

Deno.test({
  name: "bad input is a 4xx with a machine-readable code, never a 5xx, and nothing is saved",
  ...opts,
  fn: () =>
    withApp(async (app, f) => {
      const admin = adminSql();
      const counts = async () =>
        (await admin`select (select count(*) from public.mixtures)::int as m,
          (select count(*) from public.mixture_components)::int as c, (select count(*) from public.molecules)::int as mo`)[
          0
        ];
      const before = await counts();
      const alice = await user(ALICE);
      const ok = { molecule: f.mol.DMSO, value: 10, unit: "% w/w" };
      const cases: [string, unknown, number, string][] = [
        ["unknown unit", { components: [{ ...ok, unit: "%" }] }, 400, "UNKNOWN_UNIT"],
        ["unit vocabulary", { components: [{ ...ok, unit: "g/L" }] }, 400, "UNKNOWN_UNIT"],
        ["negative concentration", { components: [{ ...ok, value: -5 }] }, 400, "NON_POSITIVE_CONCENTRATION"],
        ["zero", { components: [{ ...ok, value: 0 }] }, 400, "NON_POSITIVE_CONCENTRATION"],
        ["over 100 %", { components: [{ ...ok, value: 150 }] }, 400, "PERCENT_OVER_100"],
        [
          "total over 100 %",
          {
            components: [{ ...ok, value: 60 }, { molecule: f.mol.EG, value: 60, unit: "% w/w" }],
          },
          400,
          "PERCENT_OVER_100",
        ],
        ["value a string", { components: [{ ...ok, value: "10" }] }, 400, "INVALID_INPUT"],
        ["no components", { components: [] }, 400, "INVALID_INPUT"],
        [
          `${MAX_COMPONENTS + 1} components`,
          { components: Array.from({ length: MAX_COMPONENTS + 1 }, () => ok) },
          400,
          "INVALID_INPUT",
        ],
        ["unknown field", { components: [ok], extra: 1 }, 400, "INVALID_INPUT"],
        ["negative density", { components: [ok], solution_density: -1 }, 400, "INVALID_INPUT"],
        ["same molecule twice", { components: [ok, { ...ok, value: 5 }] }, 400, "DUPLICATE_COMPONENT"],
        ["CAS with a wrong check digit", { components: [{ ...ok, molecule: "67-68-4" }] }, 400, "INVALID_IDENTIFIER"],
        ["unknown molecule", { components: [{ ...ok, molecule: "no such molecule" }] }, 422, "UNKNOWN_MOLECULE"],
        [
          "unknown InChIKey",
          { components: [{ ...ok, molecule: "AAAAAAAAAAAAAA-BBBBBBBBBB-N" }] },
          422,
          "UNKNOWN_MOLECULE",
        ],
        [
          "M without solution density is not an error but M with a polymer (no MW) is",
          {
            components: [{ molecule: f.mol.PVP, value: 1, unit: "M" }],
          },
          400,
          "MOLECULAR_WEIGHT_REQUIRED",
        ],
        ["malformed JSON", "{not json", 400, ""],
        ["an array body", "[]", 400, "INVALID_INPUT"],
      ];
      for (
        const inj of ["'; drop table public.mixtures; --", "\u0000", "x\u0000y", "<script>alert(1)</script>", "%", "\\"]
      ) {
        cases.push([`injection ${JSON.stringify(inj)}`, { components: [{ ...ok, molecule: inj }] }, 0, ""]);
        cases.push([`injection in unit ${JSON.stringify(inj)}`, { components: [{ ...ok, unit: inj }] }, 400, ""]);
        cases.push([
          `injection in carrier ${JSON.stringify(inj)}`,
          {
            components: [ok],
            carrier: { name: inj, reason: inj },
          },
          0,
          "",
        ]);
      }
      for (const [what, body, status, code] of cases) {
        const r = await estimate(app, body, alice);
        assert.ok(r.status >= 400 && r.status < 500 || (status === 0 && r.status === 200), `${what}: ${r.status}`);
        if (status) assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
        if (r.status >= 400) {
          assert.equal(typeof r.body.error.code, "string", what);
          if (code) assert.equal(r.body.error.code, code, `${what}: ${JSON.stringify(r.body)}`);
          assert.ok(!JSON.stringify(r.body).includes("<script>"), `${what}: the value is not echoed`);
        }
      }
      assert.deepEqual(await counts(), before, "nothing was written");
      await admin.end();
    }),
});

Deno.test({
  name: "service tokens need toxicity:read (over HTTP, through the gateway)",
  ...opts,
  fn: async () => {
    const body = JSON.stringify({ components: [{ molecule: "67-68-5", value: 10, unit: "% w/w" }] });
    const post = async (token: string) => {
      const r = await fetch(`${FUNCTIONS_URL}/toxicity/mixtures/estimate`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
      });
      return { status: r.status, body: await r.json() };
    };
    const without = await post(await getToken(await createClient("Alpha", "molecules:read")));
    assert.equal(without.status, 403);
    const withScope = await post(await getToken(await createClient("Alpha", "molecules:read toxicity:read")));
    assert.equal(withScope.status, 200, JSON.stringify(withScope.body));
    assert.equal(withScope.body.components[0].molecule.cas, "67-68-5");
    const anon = await fetch(`${FUNCTIONS_URL}/toxicity/mixtures/estimate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(anon.status, 200, "anon reads public molecules");
    await anon.body?.cancel();
  },
});
