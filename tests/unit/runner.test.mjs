// The test runner's own reading of results (scripts/lib/tap.mjs) and the SQL lint's scope and rules
// (scripts/sql-lint.mjs, supabase/.sqlfluff): what `N passed, N failed` and the format suite rest on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/config.mjs";
import { pgProveFiles, tapCounts } from "../../scripts/lib/tap.mjs";
import { LANDED_MIGRATIONS_CUTOFF, sqlfluffArgs, sqlLintFiles } from "../../scripts/sql-lint.mjs";

test("TAP: passed, failed and skipped points are counted; subtests count with their parent", async () => {
  assert.deepEqual(await tapCounts("1..3\nok 1 - a\nnot ok 2 - b\nok 3 - c # SKIP later\n"), {
    passed: 1,
    failed: 1,
    skipped: 1,
    failures: ["b"],
  });
  const nested =
    "TAP version 13\n# Subtest: s\n    not ok 1 - inner\n    1..1\nnot ok 1 - s\n# Subtest: t\n    ok 1 - i\n    1..1\nok 2 - t\n1..2\n";
  assert.deepEqual(await tapCounts(nested), { passed: 1, failed: 1, skipped: 0, failures: ["s"] });
});

test("TAP: a stream that ends short of its plan fails each missing point; no plan, no test or a bail-out fails once", async () => {
  assert.deepEqual((await tapCounts("1..5\nok 1\nok 2\n")).failed, 3, "a pgTAP file dying after 2 of 5");
  assert.equal((await tapCounts("ok 1 - a\n")).failed, 1, "no plan");
  assert.equal((await tapCounts("")).failed, 1, "nothing ran (a file that died before its plan)");
  assert.equal((await tapCounts("1..2\nok 1\nBail out! gone\n")).failed, 1, "bail out");
  assert.equal((await tapCounts("noise\n1..1\nlog line\nok 1 - a\n")).failed, 0, "lines that are not TAP are ignored");
});

test("pg_prove -v output is cut into one TAP stream per file, without the harness's own lines", async () => {
  const out = [
    "supabase/tests/a.sql .. ",
    "1..2",
    "ok 1 - one",
    "ok 2 - two",
    "ok",
    "supabase/tests/b.sql .. ",
    "1..3",
    "ok 1 - one",
    "not ok 2 - two",
    "# Failed test 2",
    "Failed 2/3 subtests ",
    "supabase/tests/c.sql .. ",
    "Dubious, test returned 3 (wstat 768, 0x300)",
    "No subtests run ",
    "",
    "Test Summary Report",
    "-------------------",
    "supabase/tests/b.sql (Wstat: 0 Tests: 2 Failed: 1)",
    "Files=3, Tests=4",
    "Result: FAIL",
  ].join("\n");
  const files = pgProveFiles(out);
  assert.deepEqual(files.map((f) => f.file), ["supabase/tests/a.sql", "supabase/tests/b.sql", "supabase/tests/c.sql"]);
  const counts = await Promise.all(files.map((f) => tapCounts(f.tap)));
  assert.deepEqual(counts.map(({ passed, failed }) => [passed, failed]), [[2, 0], [1, 2], [0, 1]]);
});

test("the SQL lint covers the pgTAP files and only migrations newer than the landed cutoff", () => {
  const files = sqlLintFiles();
  assert.ok(files.some((f) => f.startsWith("supabase/tests/")), "pgTAP files");
  for (const f of files.filter((x) => x.startsWith("supabase/migrations/"))) {
    assert.ok(f.slice("supabase/migrations/".length, "supabase/migrations/".length + 14) > LANDED_MIGRATIONS_CUTOFF, f);
  }
  assert.ok(
    !files.includes(`supabase/migrations/${LANDED_MIGRATIONS_CUTOFF}_one_vocabulary.sql`),
    "landed ones are not linted",
  );
});

const hasSqlfluff = spawnSync("sqlfluff", ["--version"]).status === 0;

test("the SQL lint fails on uppercase keywords, functions, literals and types, and passes lowercase SQL", {
  skip: !hasSqlfluff && "sqlfluff not installed (npm start installs it)",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "cryo-sqllint-"));
  try {
    mkdirSync(join(dir, "supabase"));
    copyFileSync(join(ROOT, "supabase/.sqlfluff"), join(dir, "supabase/.sqlfluff"));
    writeFileSync(
      join(dir, "supabase/bad.sql"),
      "SELECT Count(*) FROM t WHERE x IS NULL AND y = TRUE AND z = 1::INTEGER;\n",
    );
    writeFileSync(
      join(dir, "supabase/good.sql"),
      "select count(*) from t where x is null and y = true and z = 1::integer;\n",
    );
    const lint = (f) => spawnSync("sqlfluff", sqlfluffArgs([f]), { cwd: dir, encoding: "utf8" });
    const bad = lint("supabase/bad.sql");
    assert.notEqual(bad.status, 0);
    for (const rule of ["L010", "L030", "L040", "L063"]) assert.match(bad.stdout, new RegExp(rule), rule);
    const good = lint("supabase/good.sql");
    assert.equal(good.status, 0, good.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
