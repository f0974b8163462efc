// The database client of the edge functions: postgres.js through the transaction pooler, created once per
// isolate at module scope, with prepared statements off (a transaction-mode pooler cannot keep them).
import { postgres, type Sql } from "./deps.ts";
import { loadConfig } from "./config.ts";

let client: Sql | undefined;

export function db(): Sql {
  if (!client) {
    const cfg = loadConfig();
    client = postgres(cfg.CRYO_DB_URL, {
      prepare: false,
      max: 4,
      idle_timeout: 20,
      connect_timeout: 2,
      connection: { application_name: "cryoprotect-functions" },
      onnotice: () => {},
    });
  }
  return client;
}

export async function closeDb(): Promise<void> {
  const c = client;
  client = undefined;
  await c?.end({ timeout: 1 });
}
