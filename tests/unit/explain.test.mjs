// `npm run explain` (scripts/explain.mjs): the tree it prints from an EXPLAIN JSON (no database), and the
// command against the running test stack (skipped when none is up): the caller's role and claims decide
// what the plan's rows are, writes are not kept, bad arguments exit 2, unknown callers exit 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import postgres from "postgres";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { parsePlanText, renderPlan, run } from "../../scripts/explain.mjs";

const c = stackConfig(process.env.CRYO_STACK || "test");

// The shape EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) gives for a member's read of a team table.
const PLAN = `[{"Plan": {"Node Type": "Index Scan", "Schema": "public", "Relation Name": "molecules", "Alias": "m",
  "Index Name": "<13556>btree_molecules_smiles", "Startup Cost": 0.28, "Total Cost": 8.31, "Plan Rows": 1,
  "Actual Total Time": 0.05, "Actual Rows": 2, "Actual Loops": 1, "Shared Hit Blocks": 3, "Shared Read Blocks": 1,
  "Index Cond": "(m.smiles = $1)", "Filter": "(m.team_id = ANY ($0))", "Rows Removed by Filter": 4,
  "Plans": [
    {"Node Type": "Result", "Parent Relationship": "InitPlan", "Subplan Name": "InitPlan 1 (returns $0)",
     "Output": ["private.my_team_ids()"], "Startup Cost": 0, "Total Cost": 0.26, "Plan Rows": 1,
     "Actual Total Time": 0.03, "Actual Rows": 1, "Actual Loops": 1},
    {"Node Type": "Result", "Parent Relationship": "InitPlan", "Subplan Name": "InitPlan 2 (returns $1)",
     "Output": ["(current_setting('cryo.p1'::text))::text"], "Startup Cost": 0, "Total Cost": 0.01, "Plan Rows": 1,
     "Actual Total Time": 0.001, "Actual Rows": 1, "Actual Loops": 1}
  ]},
  "Planning Time": 0.2, "Execution Time": 0.09, "Query Identifier": 5404858245547442326}]`;

test("renderPlan: a tree with the policy InitPlan and its cost marked, values and hypothetical indexes named", () => {
  const text = renderPlan(parsePlanText(PLAN));
  const lines = text.split("\n");
  assert.match(lines[0], /^Index Scan on public\.molecules m using <13556>btree_molecules_smiles \(HYPOTHETICAL\)/);
  assert.match(lines[0], /actual 0\.05 ms rows=2 loops=1/);
  assert.match(lines[0], /buffers hit=3 read=1/);
  assert.ok(lines.includes("│ Filter: (m.team_id = ANY ($0))"), text);
  assert.ok(lines.includes("│ Rows Removed by Filter: 4"), text);
  assert.match(
    text,
    /├─ ◆ policy private\.my_team_ids\(\) \[cost 0\.26, actual 0\.03 ms × 1\] InitPlan 1 \(returns \$0\)/,
  );
  assert.match(text, /└─ · value InitPlan 2/);
  assert.match(text, /queryid 5404858245547442326/, "the 64-bit query id is printed exactly");
  assert.match(text, /policy InitPlans: 1 \(private\.my_team_ids\(\)\), cost 0\.26, 0\.030 ms of 0\.090 ms/);
});

test("renderPlan: a plan without policies says so; a non-plan is refused", () => {
  const text = renderPlan([{ Plan: { "Node Type": "Result", "Startup Cost": 0, "Total Cost": 0.01, "Plan Rows": 1 } }]);
  assert.match(text, /^Result {2}\(cost=0\.\.0\.01 rows=1\)/);
  assert.match(text, /policy InitPlans: none/);
  assert.throws(() => renderPlan({}), /not an EXPLAIN/);
});

const stackUp = async () => {
  const sql = postgres(c.dbUrl, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    return (await sql`select 1 from pg_namespace where nspname = 'monitoring'`).length === 1;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
};

// Team molecules only: what the caller sees of them is its own team's.
const ALPHA_MOLECULES = "select m.id from public.molecules m where m.team_id is not null";
const rowsOf = (r) => JSON.parse(r.out)[0].Plan["Actual Rows"];
/** How many molecules team Alpha has, as the owner counts them. */
async function alphaCount() {
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ n }] = await sql`select count(*)::int as n from public.molecules m join public.teams t on t.id = m.team_id
                              where t.name = 'Alpha'`;
    return n;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

test("npm run explain: the caller's role and claims decide the plan's actual rows", async (t) => {
  if (!(await stackUp())) return t.skip("no running test stack with schema monitoring");
  const member = await run(["--as", "carol@example.org", "--json", ALPHA_MOLECULES], { dbUrl: c.dbUrl });
  assert.equal(member.code, 0, member.err);
  const alpha = await alphaCount();
  assert.ok(alpha > 0, "the seed gives Alpha molecules");
  assert.equal(rowsOf(member), alpha, "a member of Alpha sees Alpha's molecules, and only those");
  const outsider = await run(["--as", "dave@example.org", "--json", ALPHA_MOLECULES], { dbUrl: c.dbUrl });
  assert.equal(rowsOf(outsider), 0, "a user of no team sees none");
  const anon = await run(["--as", "anon", "--json", ALPHA_MOLECULES], { dbUrl: c.dbUrl });
  assert.equal(rowsOf(anon), 0, "anon sees none");
  const tree = await run(["--as", "carol@example.org", ALPHA_MOLECULES], { dbUrl: c.dbUrl });
  assert.match(tree.out, /^as carol@example\.org \(authenticated, sub [0-9a-f-]{36}\) \(run and rolled back\)/);
  assert.match(tree.out, /◆ policy private\.\w+\(\)/, "the tree marks the policy helper's InitPlan");
});

test("npm run explain: a service client by name, claims merged over its own", async (t) => {
  if (!(await stackUp())) return t.skip("no running test stack with schema monitoring");
  const name = `explain test ${Date.now()}`;
  const made = spawnSync(process.execPath, [
    "scripts/service-client.mjs",
    "create",
    "--team",
    "Alpha",
    "--name",
    name,
    "--scope",
    "molecules:read",
  ], { cwd: ROOT, encoding: "utf8", env: process.env });
  assert.equal(made.status, 0, made.stderr);
  const id = JSON.parse(made.stdout).client_id;
  try {
    const svc = await run(["--as", name, "--json", ALPHA_MOLECULES], { dbUrl: c.dbUrl });
    assert.equal(svc.code, 0, svc.err);
    assert.equal(rowsOf(svc), await alphaCount(), "Alpha's client with molecules:read sees Alpha's molecules");
    const narrowed = await run(["--as", id, "--claims", '{"scope": "mixtures:read"}', "--json", ALPHA_MOLECULES], {
      dbUrl: c.dbUrl,
    });
    assert.equal(rowsOf(narrowed), 0, "the same client with only mixtures:read (by --claims) sees none");
  } finally {
    spawnSync(process.execPath, ["scripts/service-client.mjs", "delete", id], { cwd: ROOT, env: process.env });
  }
});

test("npm run explain: a write is planned and run, and not kept", async (t) => {
  if (!(await stackUp())) return t.skip("no running test stack with schema monitoring");
  const name = `explain write ${Date.now()}`;
  const r = await run([
    "--as",
    "alice@example.org",
    `update public.molecules m set name = '${name}' from public.teams t where t.id = m.team_id and t.name = 'Alpha'`,
  ], { dbUrl: c.dbUrl });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Update on public\.molecules/m);
  assert.match(r.out, new RegExp(`rows=${await alphaCount()} `), "the owner of Alpha updates Alpha's molecules");
  const sql = postgres(c.dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [{ n }] = await sql`select count(*)::int as n from public.molecules where name = ${name}`;
    assert.equal(n, 0);
  } finally {
    await sql.end({ timeout: 1 });
  }
});

test("npm run explain: bad arguments exit 2, unknown callers and refused SQL exit 1 with the reason", async (t) => {
  const cli = (...args) =>
    spawnSync(process.execPath, ["scripts/explain.mjs", ...args], { cwd: ROOT, encoding: "utf8" });
  assert.equal(cli("select 1").status, 2, "--as is required");
  assert.equal(cli("--as", "anon").status, 2, "one statement is required");
  assert.equal(cli("--as", "anon", "--claims", "[1]", "select 1").status, 2, "claims must be an object");
  assert.equal(cli("--as", "anon", "--timeout", "0", "select 1").status, 2);
  if (!(await stackUp())) return t.skip("no running test stack with schema monitoring");
  const nobody = await run(["--as", "nobody@example.org", "select 1"], { dbUrl: c.dbUrl });
  assert.equal(nobody.code, 1);
  assert.match(nobody.err, /no user with email nobody@example\.org/);
  const two = await run(["--as", "anon", "select 1; select 2"], { dbUrl: c.dbUrl });
  assert.equal(two.code, 1);
  assert.match(two.err, /exactly one statement.*SQLSTATE 42601/);
});
