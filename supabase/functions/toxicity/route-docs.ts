// How each route module of the toxicity function describes its routes for the OpenAPI document: the same
// zod schemas that validate the requests and shape the responses, listed once per route. The document at
// GET /toxicity/openapi.json is generated from every module's list (never written by hand).
import type { z } from "zod";

/** One route: method, path in OpenAPI form (`/molecules/{ref}`), and the zod schemas of its parts. */
export type RouteDoc = {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Relative to the function, e.g. `/imports/{id}`; path parameters in braces. */
  path: string;
  summary: string;
  description?: string;
  /** Scopes a service client needs (users and anon: the row-level access model decides). */
  scopes?: string[];
  params?: z.ZodType;
  query?: z.ZodType;
  /** Request bodies by media type, e.g. { "application/json": Schema }. */
  body?: Record<string, z.ZodType>;
  /** Responses by status; each by media type, or a zod schema for application/json. */
  responses: Record<number, { description: string; content?: Record<string, z.ZodType | { type: "string" }> }>;
};
