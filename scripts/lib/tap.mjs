// Counting test results from TAP (https://testanything.org) with tap-parser, for the runner's `N passed,
// N failed` line: pg_prove -v, `node --test --test-reporter=tap` and `deno test --reporter=tap` all speak it.
import { Parser } from "tap-parser";

/**
 * tapCounts(text) → Promise<{ passed, failed, skipped, failures: string[] }>
 * Counts the top-level test points of one TAP stream (a node or Deno test, or a pgTAP file): subtests and
 * steps are part of their parent's result, as the runners' own summaries count them. Skipped and todo points
 * are `skipped`, neither passed nor failed. A stream that ends short of its plan (a pgTAP file dying halfway)
 * counts each missing point as failed; a stream without any test point (a file that died before its plan; a
 * skip-all too: a suite that tests nothing is a fault here), without a plan, or that bails out counts one
 * failure. `failures` names the failed points and the reason of a stream-level failure. Lines that are not TAP
 * (a program's own output) are ignored.
 */
export function tapCounts(text) {
  return new Promise((resolve) => {
    const parser = new Parser();
    let passed = 0;
    let skipped = 0;
    const failures = [];
    let plan = null;
    let bailout = null;
    // Top-level events only: a child parser (subtest, Deno step) reports to its parent's assert.
    parser.on("assert", (a) => {
      if (a.skip || a.todo) skipped++;
      else if (a.ok) passed++;
      else failures.push(a.name || `test ${a.id}`);
    });
    parser.on("plan", (p) => (plan = p));
    parser.on("bailout", (reason) => (bailout = reason || "bail out"));
    parser.on("complete", () => {
      const ran = passed + skipped + failures.length;
      const planned = plan ? plan.end - plan.start + 1 : null;
      let failed = failures.length;
      if (bailout) (failed += 1, failures.push(`bail out: ${bailout}`));
      else if (ran === 0) (failed += 1, failures.push("no test ran"));
      else if (planned === null) {
        (failed += 1, failures.push("no plan: the run ended before saying how many tests it has"));
      } else if (planned > ran) (failed += planned - ran, failures.push(`${planned - ran} planned test(s) never ran`));
      resolve({ passed, failed, skipped, failures });
    });
    parser.end(text);
  });
}

/**
 * pgProveFiles(stdout) → [{ file, tap }]
 * pg_prove -v prints on stdout, for each file, a header `<file> ....`, the file's TAP, then the harness's own
 * verdict (an unnumbered `ok`, `Failed 2/9 subtests`, `Dubious, ...`), and a summary after the last file. This
 * cuts it into one TAP stream per file without the harness's lines, so that each is parsed on its own (every
 * file has its own plan and numbering). psql's errors go to stderr, which is not passed here.
 */
export function pgProveFiles(stdout) {
  const HARNESS =
    /^(ok|not ok)\s*$|^(Failed \d+\/\d+ subtests|Dubious, |No subtests run|All \d+ subtests passed|\(less \d+ skipped)/;
  const files = [];
  let cur = null;
  for (const line of stdout.split("\n")) {
    const header = line.match(/^(\S+\.sql) \.+ ?(.*)$/);
    if (header) {
      cur = { file: header[1], lines: [header[2]] };
      files.push(cur);
    } else if (/^(Test Summary Report|All tests successful\.|Files=\d+)/.test(line)) {
      cur = null;
    } else if (cur && !HARNESS.test(line)) cur.lines.push(line);
  }
  return files.map(({ file, lines }) => ({ file, tap: lines.join("\n") + "\n" }));
}
