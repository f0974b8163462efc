// One error shape for every function: `{ "error": { "code", "message", "details"? } }` with a stable,
// machine-readable code. Anything unexpected becomes a 500 with code INTERNAL and no internals leaked.
import type { Context } from "hono";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err.details), err.status as 400, err.headers);
  }
  const status = (err as { status?: number }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return c.json(errorBody("BAD_REQUEST", err.message), status as 400);
  }
  console.error(JSON.stringify({ level: "error", msg: "unhandled", error: String(err?.stack ?? err) }));
  return c.json(errorBody("INTERNAL", "internal error"), 500);
}

export function notFound(c: Context): Response {
  return c.json(errorBody("NOT_FOUND", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
}
