// The stack's secrets, in the gitignored .local/<stack>/secrets.json (and the signing key in .local/keys/):
// created once, then handed to Postgres and the pooler on stdin or in files, never in process arguments.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { ensureDir, readSecrets } from "./config.mjs";
import { mustPsql } from "./postgres.mjs";

/** { apiPassword, poolerAdminPassword }: read, or created (mode 0600) with random values; also the signing key. */
export async function ensureSecrets(c) {
  ensureDir(c.meta);
  let s = readSecrets(c);
  // The pooler's admin console gets its own random password (older secrets files predate it).
  if (!s || !s.poolerAdminPassword) {
    s = {
      apiPassword: randomBytes(18).toString("base64url"),
      ...s,
      poolerAdminPassword: randomBytes(18).toString("base64url"),
    };
    writeFileSync(c.secretsFile, JSON.stringify(s, null, 2), { mode: 0o600 });
  }
  // keys.mjs needs jose, which npm ci may only just have installed: imported when needed.
  const { ensureSigningKey } = await import("./keys.mjs");
  await ensureSigningKey(c);
  return s;
}

/** Gives cryo_api (the functions' login through the pooler) its password. */
export function setApiPassword(c, secrets) {
  // Local stand-in for the deploy step that gives cryo_api its login password (on stdin, see psql()).
  const pw = secrets.apiPassword.replace(/'/g, "''");
  mustPsql(c, "setting the cryo_api password", { sql: `alter role cryo_api with login password '${pw}'` });
}
