// `npm run bench -- --quick` end to end against the test stack: every part runs (the RLS suite over a small
// growth series with its toxicity step, the normal load, the pooling scenarios, the auth scenario, the
// toxicity scenario or its skip) and the report is written — the code path, not the numbers (a quick run's
// numbers mean nothing). The scale data it made is removed afterwards.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { removeToxicityData } from "../../scripts/bench/toxicity-scale.mjs";

process.env.CRYO_STACK = "test";
const c = stackConfig("test");
const out = mkdtempSync(join(tmpdir(), "bench-quick-"));

after(async () => {
  rmSync(out, { recursive: true, force: true });
  const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    await removeToxicityData(sql);
    await sql`delete from public.mixtures where source = 'db:scale'`;
    await sql`delete from public.molecules where source = 'db:scale'`;
    await sql`delete from public.teams where name like 'Scale team %'`;
    await sql`delete from auth.users where email like '%@scale.local'`;
    await sql`delete from public.property_types where code like 'scale_%'`;
  } finally {
    await sql.end();
  }
});

function bench(args) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["scripts/bench/run.mjs", ...args], {
      cwd: ROOT,
      env: { ...process.env, CRYO_STACK: "test" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    p.stdout.on("data", (d) => (text += d));
    p.stderr.on("data", (d) => (text += d));
    p.on("close", (code) => resolve({ code, text }));
  });
}

test("npm run bench -- --quick runs every part and writes the KPI report with its charts", { timeout: 600_000 }, async () => {
  const r = await bench(["--quick", "--out-dir", out]);
  assert.equal(r.code, 0, r.text.slice(-3000));
  for (const f of ["rls.json", "load-normal.json", "load-steady.json", "load-module.json", "tokens-bench.json", "kpi.json"]) {
    assert.ok(existsSync(join(out, f)), `${f} written`);
  }
  const { kpis, run, machine } = JSON.parse(readFileSync(join(out, "kpi.json"), "utf8"));
  assert.equal(run.quick, true);
  assert.deepEqual(run.failures, [], "no part failed");
  assert.equal(machine.cpus > 0, true);
  const ids = kpis.map((k) => k.id);
  for (
    const id of [
      "rls_overhead.inchikey_lookup",
      "rls_overhead.toxicity_profile",
      "p95.batch_lookup",
      "p95.toxicity_summary",
      "growth.inchikey_lookup",
      "acquire_p99_warm",
      "module_cpu_ratio",
      "http_vs_pgbench",
      "http_vs_architecture_limit",
      "db_cpu_normal_load",
      "token_verification",
    ]
  ) assert.ok(ids.includes(id), `KPI ${id} in the report`);
  assert.ok(ids.some((id) => id.startsWith("toxicity_api")), "the toxicity scenario is in the report (measured or skipped)");
  for (const k of kpis.filter((k) => !k.id.startsWith("toxicity_api") || k.status !== "not measured")) {
    assert.ok(["pass", "miss", "info"].includes(k.status), `${k.id} was measured (${k.status})`);
    if (k.status === "miss") assert.ok(k.miss_by && k.why, `${k.id}: a miss says by how much and why`);
  }
  // the RLS suite: two sizes, seven queries, four actors each, toxicity records made by its own step
  const rls = JSON.parse(readFileSync(join(out, "rls.json"), "utf8"));
  assert.equal(rls.sizes.length, 2);
  assert.ok(rls.sizes[1].data.molecules > rls.sizes[0].data.molecules, "the series grows");
  for (const p of rls.sizes) {
    assert.ok(p.data.toxicity_records >= 1000, "toxicity records of the scale molecules exist (db:scale's or the suite's step)");
    assert.ok(Object.keys(p.results).length >= 7, "the seven key queries (and the toxicity API's, when present)");
    for (const r of Object.values(p.results)) {
      for (const a of ["owner", "member", "non_member", "service"]) assert.equal(r.actors[a].n, 20, `${r.title}: ${a}`);
      // RLS must hide rows: a non-member never sees more than the owner
      assert.ok(r.actors.non_member.rows_per_run <= r.actors.owner.rows_per_run, `${r.title}: non-member ≤ owner rows`);
    }
  }
  for (const f of ["latency-vs-size.svg", "latency-vs-concurrency.svg"]) {
    const svg = readFileSync(join(out, f), "utf8");
    assert.match(svg, /^<svg[^>]*>/, `${f} is an SVG`);
    assert.match(svg, /<path/, `${f} draws its lines`);
  }
  const md = readFileSync(join(out, "README.md"), "utf8");
  assert.match(md, /\| KPI \| plan's target \| our target \| measured \| result \| missed by \| why \|/);
  assert.match(md, /QUICK smoke run/);
});

test("npm run bench refuses an unknown part or a bad size with exit code 2", async () => {
  assert.equal((await bench(["nonsense", "--out-dir", out])).code, 2);
  assert.equal((await bench(["rls", "--molecules", "12", "--out-dir", out])).code, 2);
});
