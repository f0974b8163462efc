#!/usr/bin/env node
// The SQL lint of `npm test` (suite `format`): sqlfluff (Debian's, installed by the stack's apt step) with
// supabase/.sqlfluff: lowercase keywords, function names, literals and types, as in supabase/splinter, and no
// trailing whitespace. Applies to the pgTAP files and to migrations newer than LANDED_MIGRATIONS_CUTOFF.
//   node scripts/sql-lint.mjs          lint; exit 1 naming each violation
//   node scripts/sql-lint.mjs --fix    rewrite the files in scope to pass (sqlfluff fix)
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { ROOT } from "./lib/config.mjs";

/**
 * The newest migration that had landed (on main) when the SQL lint was introduced. A landed migration is never
 * edited (a hosted project has already run it: editing it changes nothing there and makes the local stack
 * differ from production), so it cannot be reformatted to pass; migrations with a later version are linted.
 */
export const LANDED_MIGRATIONS_CUTOFF = "20261130020000";

/** Files the SQL lint applies to, relative to the repo: supabase/tests/**\/*.sql and migrations after the cutoff. */
export function sqlLintFiles(root = ROOT) {
  const tests = join(root, "supabase/tests");
  const testFiles = existsSync(tests)
    ? readdirSync(tests, { recursive: true }).filter((f) => f.endsWith(".sql")).map((f) => join("supabase/tests", f))
    : [];
  const migrations = readdirSync(join(root, "supabase/migrations"))
    .filter((f) => /^\d{14}_.*\.sql$/.test(f) && f.slice(0, 14) > LANDED_MIGRATIONS_CUTOFF)
    .map((f) => join("supabase/migrations", f));
  return [...testFiles.sort(), ...migrations.sort()];
}

/** The sqlfluff command line (lint or fix) for `files`; sqlfluff reads supabase/.sqlfluff itself. */
export function sqlfluffArgs(files, { fix = false } = {}) {
  return [fix ? "fix" : "lint", ...(fix ? ["--force"] : []), "--processes", "2", ...files];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values: { fix } } = parseArgs({ options: { fix: { type: "boolean", default: false } } });
  const files = sqlLintFiles();
  const r = spawnSync("sqlfluff", sqlfluffArgs(files, { fix }), { cwd: ROOT, stdio: "inherit" });
  if (r.error) {
    console.error(`sqlfluff: ${r.error.message} (the stack's apt step installs it: npm start as root)`);
    process.exit(1);
  }
  process.exit(r.status ?? 1);
}
