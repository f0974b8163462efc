// The Supabase platform emulated (scripts/platform/platform.sql): what a new hosted project has before its
// first migration, and the supautils rules for `postgres` that no event trigger can enforce (reserved roles).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./config.mjs";
import { StackError } from "./proc.mjs";
import { ensureCluster, mustPsql, startPostgres } from "./postgres.mjs";

/** Runs scripts/platform/platform.sql as the bootstrap superuser (idempotent; its hash lets it re-record the role baseline only when it changed). */
export function applyPlatform(c) {
  const file = join(ROOT, "scripts/platform/platform.sql");
  const hash = createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 16);
  mustPsql(c, "platform emulation (scripts/platform/platform.sql)", { file, extra: ["-v", `platform_hash=${hash}`] });
}

/**
 * supautils refuses, on hosted projects, any change a migration makes to a reserved role (anon, authenticated,
 * service_role, authenticator, supabase_*...: attributes, password, and the settings of those without `*` in
 * supautils.reserved_roles) and any grant of a reserved membership (authenticator, pg_*_server_*). Role DDL
 * fires no event trigger, so the emulation compares with the baseline recorded before any migration ran.
 */
export function checkReservedRoles(c, applied) {
  const r = mustPsql(c, "checking reserved roles", {
    sql: "select platform_emulation.reserved_violations()",
    extra: ["-At"],
  });
  const violations = r.stdout.trim();
  if (!violations) return;
  throw new StackError(`a migration broke a platform rule: reserved roles and reserved memberships cannot be changed by
migrations on Supabase (supautils.reserved_roles / supautils.reserved_memberships); \`supabase db push\` would fail.
${violations.split("\n").map((l) => `  ${l}`).join("\n")}
migrations applied in this run: ${
    applied.length ? applied.join(", ") : "(none; the change was made earlier: npm run reset)"
  }`);
}

/**
 * A cluster with nothing but the platform emulation: what a new hosted project has before its first
 * migration. The stack starts this way; the platform tests build throwaway ones (any `c` shaped like
 * stackConfig()'s) to check the emulation itself.
 */
export async function bootstrapCluster(c) {
  const fresh = ensureCluster(c);
  const started = await startPostgres(c);
  applyPlatform(c);
  return { fresh, started };
}
