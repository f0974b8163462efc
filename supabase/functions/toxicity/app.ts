// The toxicity function under /functions/v1/toxicity: the import routes (imports.ts, issue 10) and the read
// routes (read.ts, mixtures.ts, charts.ts: issue 11), every route behind the one verifier (_shared/auth.ts):
// anon reads public data, users their teams' too, service clients need toxicity:read / toxicity:import.
// GET /toxicity/openapi.json is the OpenAPI 3.1 document generated from every module's RouteDoc list.
// This module is the app factory; index.ts wires it (docs/edge-functions.md).
import { authenticate } from "../_shared/auth.ts";
import type { Database } from "../_shared/db.ts";
import { createApp } from "../_shared/http.ts";
import { cacheOptions, ToxicityCache } from "./cache.ts";
import { CHART_ROUTE_DOCS, chartRoutes } from "./charts.ts";
import { IMPORT_ROUTE_DOCS, importRoutes } from "./imports.ts";
import { MIXTURE_ROUTE_DOCS, mixtureRoutes } from "./mixtures.ts";
import { OPENAPI_ROUTE_DOCS, openApiDocument } from "./openapi.ts";
import { READ_ROUTE_DOCS, readRoutes } from "./read.ts";

/** What the toxicity app needs: the isolate's database (called per request) and the environment. */
export type ToxicityDeps = {
  database: () => Database;
  /** CRYO_CORS_ORIGINS, CRYO_RATE_LIMIT_*, CRYO_TOXICITY_CACHE_* (cache.ts); defaults to the process environment. */
  env?: Record<string, string | undefined>;
  /** The read routes' cache (cache.ts); by default one per app from CRYO_TOXICITY_CACHE_*. */
  cache?: ToxicityCache;
};

/** Every route the app serves, as the OpenAPI document describes it. */
export const TOXICITY_ROUTE_DOCS = [
  ...OPENAPI_ROUTE_DOCS,
  ...IMPORT_ROUTE_DOCS,
  ...READ_ROUTE_DOCS,
  ...MIXTURE_ROUTE_DOCS,
  ...CHART_ROUTE_DOCS,
];

/** The Hono app serving /toxicity. Throws at creation for a bad CORS, rate-limit or cache variable. */
export function createToxicityApp({ database, env, cache }: ToxicityDeps) {
  const app = createApp("/toxicity", env);
  const readCache = cache ?? new ToxicityCache(cacheOptions(env ?? Deno.env.toObject()));
  // Every route is verified; a request without a token is anonymous (public data only).
  app.use("*", authenticate({ required: false }));
  let openapi: string | undefined;
  app.get("/openapi.json", (c) => {
    openapi ??= JSON.stringify(openApiDocument(TOXICITY_ROUTE_DOCS));
    c.header("Cache-Control", "public, max-age=300");
    c.header("Content-Type", "application/json; charset=utf-8");
    return c.body(openapi);
  });
  app.route("/", importRoutes({ database }));
  app.route("/", readRoutes({ database, cache: readCache }));
  app.route("/", mixtureRoutes({ database }));
  app.route("/", chartRoutes({ database }));
  return app;
}
