#!/usr/bin/env node
// Mints a token the way Supabase Auth would for a user of the local stack:
//   npm run token -- user <email> [--ttl seconds]
//   npm run token -- anon
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { stackConfig } from "./lib/config.mjs";
import { anonKey, signToken } from "./lib/keys.mjs";
import { psql } from "./lib/postgres.mjs";
import { userClaims } from "./lib/user-claims.mjs";

const USAGE = "usage: npm run token -- user <email> [--ttl seconds] | anon";
let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { ttl: { type: "string", default: "3600" } } });
} catch (e) {
  console.error(`${e.message}\n${USAGE}`);
  process.exit(2);
}
const { positionals: [kind, email], values } = parsed;
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error(`--ttl must be a positive number of seconds\n${USAGE}`);
  process.exit(2);
}
const c = stackConfig();

if (kind === "anon") {
  console.log(await anonKey(c));
} else if (kind === "user" && email) {
  const q = psql(
    c,
    `select id, coalesce(phone, ''), is_anonymous from auth.users where email = lower('${email.replace(/'/g, "''")}')`,
    { user: "supabase_admin", extra: ["-At", "-F", "|"] },
  );
  if (q.status !== 0) {
    console.error(`error: cannot reach the ${c.name} database: ${q.stderr.trim()} (is it started? npm start)`);
    process.exit(1);
  }
  const line = q.stdout.trim();
  if (!line) {
    console.error(`error: no user with email ${email} in the ${c.name} stack (seeded users: see README)`);
    process.exit(1);
  }
  const [sub, phone, anon] = line.split("|");
  const token = await signToken(
    c,
    userClaims({ sub, email, phone, isAnonymous: anon === "t", sessionId: randomUUID() }),
    ttl,
  );
  console.log(token);
} else {
  console.error(USAGE);
  process.exit(2);
}
