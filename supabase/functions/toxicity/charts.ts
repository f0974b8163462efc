// Chart routes of the toxicity function (issue 11): GET /molecules/{ref}/chart, GET /mixtures/{id}/chart (Vega-Lite or SVG).
// Filled in by the API work; mounted by app.ts.
import { Hono } from "hono";
import type { Database } from "../_shared/db.ts";
import type { RouteDoc } from "./route-docs.ts";

/** What these routes need: the isolate's database (called per request). */
export type ChartDeps = { database: () => Database };

/** The routes (relative to /toxicity) and their OpenAPI descriptions. */
export function chartRoutes(_deps: ChartDeps): Hono {
  return new Hono();
}

export const CHART_ROUTE_DOCS: RouteDoc[] = [];
