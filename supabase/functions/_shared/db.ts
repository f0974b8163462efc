// The one database module of the edge functions. Its parts live in ./db/, one concern each:
//   errors.ts       what a failure means (connection vs statement), and the HTTP answer for it
//   slots.ts        the isolate's bounded pool and wait queue, deadlines
//   session.ts      the known session state every transaction starts from (reset, role, claims)
//   render.ts       how values reach Postgres without becoming SQL (verified templates, settings)
//   transaction.ts  one transaction on one pooled connection: pipeline, interactive, retry classification
//   database.ts     the isolate's Database: postgres.js client, retry + breaker, queryAs / withClaims
import { isClientConnectionError, isServerConnectionError } from "./db/errors.ts";
import { Database } from "./db/database.ts";
import { loadConfig } from "./config.ts";
import { logThrottled } from "./log.ts";

export { type Claims, Database } from "./db/database.ts";
export { DbError, type ErrorClass } from "./db/errors.ts";
export type { TxOptions } from "./db/transaction.ts";

// postgres.js drops the promise of a cancel request and of some socket writes; when the pooler goes away
// those reject with no handler, and Deno ends the process on an unhandled rejection. A lost connection is
// already reported to the query that owned it, so these stray ones are logged, not fatal.
globalThis.addEventListener("unhandledrejection", (ev) => {
  const r = (ev as PromiseRejectionEvent).reason;
  if (isClientConnectionError(r) || isServerConnectionError(r)) {
    ev.preventDefault();
    logThrottled("stray-rejection", 5000, "debug", "db stray connection error", { error: String(r?.message ?? r) });
  }
});

let instance: Database | undefined;

/** The isolate's database, created on first use from the environment (validated once). */
export function database(): Database {
  if (!instance) instance = new Database(loadConfig());
  return instance;
}
