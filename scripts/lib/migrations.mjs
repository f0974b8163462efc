// Our migrations, applied the way a deploy applies them: `supabase migration up` as `postgres`, then the
// platform's reserved-role check.
import { join } from "node:path";
import { ROOT } from "./config.mjs";
import { log, run, StackError } from "./proc.mjs";
import { checkReservedRoles } from "./platform.mjs";

/**
 * `supabase migration up --include-all` as postgres, then the reserved-role check. Throws StackError naming the
 * failed migration and its error. `workdir` is a Supabase project folder (CRYO_SUPABASE_WORKDIR: the stack's
 * own tests point it elsewhere).
 */
export function applyMigrations(c, workdir = process.env.CRYO_SUPABASE_WORKDIR || ROOT) {
  const url = `${c.dbUrl}?sslmode=disable`;
  const r = run(join(ROOT, "node_modules/.bin/supabase"), [
    "migration",
    "up",
    "--db-url",
    url,
    "--include-all",
    "--workdir",
    workdir,
  ], { cwd: ROOT, env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" } });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) {
    const applying = [...out.matchAll(/Applying migration (\S+)/g)].map((m) => m[1]);
    const failed = applying.length ? `supabase/migrations/${applying[applying.length - 1]}` : "a migration";
    throw new StackError(`migration failed: ${failed}\n${out.trim()}`);
  }
  const applied = [...out.matchAll(/Applying migration (\S+?)\.*$/gm)].map((m) => m[1]);
  if (applied.length) log(`applied ${applied.length} migration(s)`);
  checkReservedRoles(c, applied);
}
