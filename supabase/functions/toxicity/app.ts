// The toxicity function under /functions/v1/toxicity: the import routes (imports.ts, issue 10) and the read
// routes (read.ts, mixtures.ts, charts.ts: issue 11), every route behind the one verifier (_shared/auth.ts):
// anon reads public data, users their teams' too, service clients need toxicity:read / toxicity:import.
// This module is the app factory; index.ts wires it (docs/edge-functions.md).
import { authenticate } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { createApp } from "../_shared/http.ts";
import { chartRoutes } from "./charts.ts";
import { importRoutes } from "./imports.ts";
import { mixtureRoutes } from "./mixtures.ts";
import { readRoutes } from "./read.ts";

/** What the toxicity app needs: the isolate's database (called per request) and the environment. */
export type ToxicityDeps = {
  database: () => Database;
  /** CRYO_CORS_ORIGINS, CRYO_RATE_LIMIT_* (see _shared/http.ts); defaults to the process environment. */
  env?: Record<string, string | undefined>;
};

/** The Hono app serving /toxicity. */
export function createToxicityApp({ database, env }: ToxicityDeps) {
  const app = createApp("/toxicity", env);
  // Every route is verified; a request without a token is anonymous (public data only).
  app.use("*", authenticate({ required: false }));
  app.route("/", importRoutes({ database }));
  app.route("/", readRoutes({ database }));
  app.route("/", mixtureRoutes({ database }));
  app.route("/", chartRoutes({ database }));
  return app;
}
