// Import routes of the toxicity function (issue 10): POST /imports, batches, commit, GET /imports/{id}.
// Filled in by the importer work; mounted by app.ts.
import { Hono } from "hono";
import type { Database } from "../_shared/db.ts";
import type { RouteDoc } from "./route-docs.ts";

/** What the import routes need: the isolate's database (called per request). */
export type ImportDeps = { database: () => Database };

/** The routes (relative to /toxicity) and their OpenAPI descriptions. */
export function importRoutes(_deps: ImportDeps): Hono {
  return new Hono();
}

export const IMPORT_ROUTE_DOCS: RouteDoc[] = [];
