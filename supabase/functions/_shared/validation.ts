// Request validation as Hono middleware: a zod schema per part of the request (`query`, `json`, `param`,
// `header`, `form`), checked before the handler runs, so a handler only ever sees `c.req.valid(target)` typed by
// its schema. A request that fails its schema never reaches the handler or the database: it is answered
// 400 INVALID_INPUT (errors.ts shape) with one detail per problem `{ target, path, message }`. Details name the
// field and the rule, never echo the value sent (it can be a secret, or large).
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors.ts";

/** One problem of a request: where (`query`, `json`…; a dotted path inside it) and the rule it broke. */
type InputIssue = { target: string; path: string; message: string };

/**
 * Middleware validating `target` of the request against `schema` (@hono/zod-validator): on success the parsed
 * value (defaults applied, strings coerced by the schema) is `c.req.valid(target)`; on failure it throws
 * ApiError 400 INVALID_INPUT whose message lists the problems and whose details are InputIssue[].
 * Malformed JSON in a `json` body is a 400 from Hono itself, before the schema runs.
 */
export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (result.success) return;
    const issues: InputIssue[] = result.error.issues.map((i) => ({
      target,
      path: i.path.map(String).join("."),
      message: i.message,
    }));
    const text = issues.map((i) => `${i.target}${i.path ? `.${i.path}` : ""}: ${i.message}`).join("; ");
    throw new ApiError(400, "INVALID_INPUT", `invalid request: ${text}`, issues);
  });
}
