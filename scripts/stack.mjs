#!/usr/bin/env node
// The local stack: Postgres 15 with the Supabase platform emulated, our migrations and seed, pgbouncer in
// transaction mode standing in for Supavisor, and every edge function served by Deno.
//   node scripts/stack.mjs start|stop|reset|status [-o json]
// CRYO_STACK=dev (default) or test selects the stack; each has its own data and ports. Each step lives in a
// module of scripts/lib/ (install, secrets, ports, postgres, platform, migrations, seed, pgbouncer, functions);
// this file only puts them in order. The web app (web/) is built and served beside them (scripts/lib/web.mjs).
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { poolerUrl, readSecrets, stackConfig } from "./lib/config.mjs";
import { functionsHealthy, startFunctions, stopFunctions } from "./lib/functions.mjs";
import { ensureAptPackages, ensureNodeDeps } from "./lib/install.mjs";
import { applyMigrations } from "./lib/migrations.mjs";
import { startPgbouncer, stopPgbouncer } from "./lib/pgbouncer.mjs";
import { bootstrapCluster } from "./lib/platform.mjs";
import { reserveStackPorts } from "./lib/ports.mjs";
import { pgCtl, pgRunning } from "./lib/postgres.mjs";
import { asPostgres, log, portOpen, quietLog, StackError, waitFor } from "./lib/proc.mjs";
import { applySeed, seededMarker } from "./lib/seed.mjs";
import { ensureSecrets, setApiPassword } from "./lib/secrets.mjs";
import { startWeb, stopWeb, webHealthy } from "./lib/web.mjs";

/** Brings stack `c` up, each step a no-op when its piece already runs as configured; throws StackError. */
export async function start(c = stackConfig()) {
  ensureNodeDeps();
  ensureAptPackages();
  const secrets = await ensureSecrets(c);
  reserveStackPorts(c);
  const { fresh, started } = await bootstrapCluster(c);
  if (fresh) rmSync(seededMarker(c), { force: true });
  applyMigrations(c);
  setApiPassword(c, secrets);
  applySeed(c);
  await startPgbouncer(c, secrets, { restart: started });
  await startFunctions(c, secrets);
  const { anonKey } = await import("./lib/keys.mjs"); // jose: only once npm ci has run
  await startWeb(c, await anonKey(c));
  return c;
}

/** Stops the web app's server, the functions server, pgbouncer and Postgres of stack `c` (its data stays). */
export async function stop(c = stackConfig()) {
  stopWeb(c);
  stopFunctions(c);
  stopPgbouncer(c);
  if (existsSync(join(c.pgdata, "PG_VERSION")) && pgRunning(c)) {
    asPostgres(pgCtl.bin, pgCtl.stop(c));
  }
  await waitFor(async () => !(await portOpen(c.ports.pooler)), 3000);
}

/** Stops stack `c`, drops its database (and seed marker), starts it from nothing. */
export async function reset(c = stackConfig()) {
  await stop(c);
  log(`dropping ${c.pgdata}`);
  rmSync(c.pgdata, { recursive: true, force: true });
  rmSync(seededMarker(c), { force: true });
  return start(c);
}

/** The connection facts of stack `c` (the keys of `supabase status -o json`) and which pieces run. */
export async function status(c = stackConfig()) {
  const secrets = readSecrets(c);
  const { anonKey } = await import("./lib/keys.mjs");
  const running = {
    db: existsSync(join(c.pgdata, "PG_VERSION")) && pgRunning(c),
    pooler: await portOpen(c.ports.pooler),
    functions: await functionsHealthy(c),
    web: await webHealthy(c),
  };
  return {
    API_URL: c.apiUrl,
    DB_URL: c.dbUrl,
    POOLER_URL: secrets ? poolerUrl(c, secrets) : null,
    FUNCTIONS_URL: c.functionsUrl,
    WEB_URL: c.webUrl,
    JWKS_URL: `${c.apiUrl}/auth/v1/.well-known/jwks.json`,
    ANON_KEY: existsSync(join(c.keysDir, "signing_key.json")) ? await anonKey(c) : null,
    STACK: c.name,
    RUNNING: running,
  };
}

function printHuman(s) {
  const up = (b) => (b ? "running" : "stopped");
  console.log(`
CryoProtect local stack (${s.STACK}): database ${up(s.RUNNING.db)}, pooler ${up(s.RUNNING.pooler)}, functions ${
    up(s.RUNNING.functions)
  }, web app ${up(s.RUNNING.web)}

         API URL: ${s.API_URL}
   Functions URL: ${s.FUNCTIONS_URL}
         Web app: ${s.WEB_URL}   (demo users' password: see the sign-in page)
          DB URL: ${s.DB_URL}
      Pooler URL: ${s.POOLER_URL}   (transaction mode: what the functions use)
        JWKS URL: ${s.JWKS_URL}
        anon key: ${s.ANON_KEY}

A user token:     npm run token -- user alice@example.org
Health:           curl ${s.FUNCTIONS_URL}/health
`);
}

const USAGE = "usage: stack.mjs start|stop|reset|status [-o json]";

async function main() {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { output: { type: "string", short: "o" } } });
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    process.exit(2);
  }
  const { positionals: [cmd, ...extra], values: { output = "text" } } = parsed;
  if (!["start", "stop", "reset", "status"].includes(cmd) || extra.length || !["text", "json"].includes(output)) {
    console.error(USAGE);
    process.exit(2);
  }
  try {
    if (cmd === "start") {
      await start();
      printHuman(await status());
      log("ready");
    } else if (cmd === "stop") {
      await stop();
      console.log("stopped");
    } else if (cmd === "reset") {
      await reset();
      printHuman(await status());
      log("ready");
    } else {
      quietLog(output === "json");
      const s = await status();
      if (output === "json") console.log(JSON.stringify(s, null, 2));
      else printHuman(s);
    }
  } catch (e) {
    if (e instanceof StackError) {
      console.error(`\nerror: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
