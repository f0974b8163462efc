// Mixture routes of the toxicity function (issue 11): GET /mixtures/{id}, POST /mixtures/estimate.
// Filled in by the API work; mounted by app.ts.
import { Hono } from "hono";
import type { Database } from "../_shared/db.ts";
import type { RouteDoc } from "./route-docs.ts";

/** What these routes need: the isolate's database (called per request). */
export type MixtureDeps = { database: () => Database };

/** The routes (relative to /toxicity) and their OpenAPI descriptions. */
export function mixtureRoutes(_deps: MixtureDeps): Hono {
  return new Hono();
}

export const MIXTURE_ROUTE_DOCS: RouteDoc[] = [];
