// Read routes of the toxicity function (issue 11): profiles, lookup, search, mixtures, charts.
// Filled in by the API work; mounted by app.ts.
import { Hono } from "hono";
import type { Database } from "../_shared/db.ts";
import type { RouteDoc } from "./route-docs.ts";

/** What the read routes need: the isolate's database (called per request). */
export type ReadDeps = { database: () => Database };

/** The routes (relative to /toxicity) and their OpenAPI descriptions. */
export function readRoutes(_deps: ReadDeps): Hono {
  return new Hono();
}

export const READ_ROUTE_DOCS: RouteDoc[] = [];
