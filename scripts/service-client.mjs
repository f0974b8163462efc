#!/usr/bin/env node
// Service clients of the local stack, managed as `postgres` (a project role) through the same SQL functions
// the service-clients edge function calls for team owners. Prints JSON; the secret is shown once, by create
// and rotate-secret, and only its keyed hash (HMAC-SHA256 with .local/keys/client_secret_pepper) is stored.
//   npm run service-client -- create --team <team name> --name <client name> --scope "<scope> <scope>"
//   npm run service-client -- list --team <team name>
//   npm run service-client -- disable <client_id>
//   npm run service-client -- rotate-secret <client_id>
//   npm run service-client -- delete <client_id>
// Then: curl -u "$client_id:$client_secret" -d grant_type=client_credentials $FUNCTIONS_URL/service-token
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { stackConfig } from "./lib/config.mjs";
import { ensureServiceKeys, PEPPER_FILE } from "./keys.mjs";

const USAGE = `usage: npm run service-client -- create --team <name> --name <name> --scope "<scopes>"
       npm run service-client -- list --team <name>
       npm run service-client -- disable|rotate-secret|delete <client_id>`;

/** A new secret and its stored hash (hex HMAC-SHA256 keyed with the pepper). */
export async function newSecret() {
  await ensureServiceKeys();
  const pepper = readFileSync(PEPPER_FILE, "utf8").trim();
  const secret = "cps_" + randomBytes(32).toString("base64url");
  return { secret, hash: createHmac("sha256", pepper).update(secret).digest("hex") };
}

async function teamId(sql, name) {
  const rows = await sql`select id from public.teams where name = ${name}`;
  if (rows.length !== 1) throw new Error(`no team named ${JSON.stringify(name)} in this stack`);
  return rows[0].id;
}

/** Runs one command against the stack `c` (scripts/lib/config.mjs); returns the JSON to print. */
export async function run(argv, c = stackConfig()) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { team: { type: "string" }, name: { type: "string" }, scope: { type: "string" }, client: { type: "string" } },
  });
  const [cmd, arg] = positionals;
  const clientId = values.client ?? arg;
  const sql = postgres(c.dbUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    if (cmd === "create") {
      if (!values.team || !values.name || !values.scope) throw new Error(USAGE);
      const team = await teamId(sql, values.team);
      const { secret, hash } = await newSecret();
      const scopes = values.scope.split(/[\s,]+/).filter(Boolean);
      const [row] = await sql`select * from private.create_service_client(${team}, ${values.name}, ${scopes}, ${hash})`;
      return { ...row, team: values.team, client_secret: secret, token_url: `${c.functionsUrl}/service-token` };
    }
    if (cmd === "list") {
      if (!values.team) throw new Error(USAGE);
      return await sql`select * from private.list_service_clients(${await teamId(sql, values.team)})`;
    }
    if (!clientId) throw new Error(USAGE);
    if (cmd === "disable") {
      await sql`select private.disable_service_client(${clientId})`;
      return { client_id: clientId, enabled: false };
    }
    if (cmd === "rotate-secret") {
      const { secret, hash } = await newSecret();
      await sql`select private.rotate_service_client_secret(${clientId}, ${hash})`;
      return { client_id: clientId, client_secret: secret };
    }
    if (cmd === "delete") {
      await sql`select private.delete_service_client(${clientId})`;
      return { client_id: clientId, deleted: true };
    }
    throw new Error(USAGE);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  try {
    console.log(JSON.stringify(await run(process.argv.slice(2)), null, 2));
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(e.message === USAGE ? 2 : 1);
  }
}
