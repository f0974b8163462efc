// What went wrong with a database call, and what the retry policy, the breaker and the client may conclude
// from it. The rule that matters most: only a *genuine* connection failure (the socket is gone, or the server
// or pooler ended the session) feeds the breaker and retries. Message texts are never matched, because
// ordinary statement errors echo caller input ("invalid input syntax for type uuid: \"tenant\"").
import { ApiError } from "../errors.ts";

export type ErrorClass =
  | "connection"
  | "timeout"
  | "overloaded"
  | "circuit_open"
  | "ambiguous_commit"
  | "statement"
  | "unsafe_role";

/** An error the API can answer with: HTTP status, stable code, and the class it is counted under. */
export class DbError extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly errorClass: ErrorClass,
    headers: Record<string, string> = {},
    readonly pgCode?: string,
  ) {
    super(status, code, message, undefined, headers);
  }
}

/** One attempt's failure, with what the policies need to know: may it run again, does the breaker count it. */
export class AttemptError extends Error {
  constructor(readonly api: DbError, readonly retryable: boolean, readonly breaker: boolean) {
    super(api.message);
  }
}

/** Not a database failure (a bug or an ApiError thrown by the caller's own code): rethrown unchanged. */
export class Passthrough extends Error {
  constructor(readonly original: unknown) {
    super(String(original));
  }
}

/** The pooler did not answer within the connect/first-answer bound (a pooler queues clients silently). */
export class NoAnswer extends Error {
  constructor(ms: number) {
    super(`the pooler did not answer within ${ms} ms`);
  }
}

// Codes postgres.js raises itself when the socket is gone or never came up: no answer from the server.
const CLIENT_CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

// deno-lint-ignore no-explicit-any
export type AnyErr = any;

/** An ErrorResponse from the server or the pooler (postgres.js PostgresError). */
export const isPgError = (e: AnyErr): boolean =>
  e?.name === "PostgresError" || (typeof e?.severity === "string" && typeof e?.code === "string");

/** postgres.js lost (or never had) the socket. */
export const isClientConnectionError = (e: AnyErr): boolean => !isPgError(e) && CLIENT_CONNECTION_CODES.has(e?.code);

/**
 * The server or pooler ended the session: a FATAL or PANIC ErrorResponse is always followed by the end of the
 * connection (admin shutdown 57P01, crash 57P02, "cannot connect now" 57P03, too many connections 53300, and
 * every pgbouncer/Supavisor refusal: query_wait_timeout, server login failing, max client connections …).
 * An ERROR-severity response leaves the connection usable, whatever its SQLSTATE (08P01 included).
 */
export const isServerConnectionError = (e: AnyErr): boolean =>
  isPgError(e) && (e.severity === "FATAL" || e.severity === "PANIC");

/** After this error the connection is closed (or closing): postgres.js has already dropped it. */
export const connectionGone = (e: AnyErr): boolean => isClientConnectionError(e) || isServerConnectionError(e);

export function unavailable(message: string, retryAfterS: number, pgCode?: string): DbError {
  return new DbError(503, "DB_UNAVAILABLE", message, "connection", { "Retry-After": String(retryAfterS) }, pgCode);
}

export function deadlineError(): DbError {
  return new DbError(504, "DB_TIMEOUT", "the database did not answer within the request deadline", "timeout", {
    "Retry-After": "1",
  });
}

/** A value the caller sent that cannot be a value at all (NUL in text or identifiers): 400, nothing sent. */
export function badValue(message: string): DbError {
  return new DbError(400, "INVALID_INPUT", message, "statement");
}

/**
 * An ordinary SQL error (the connection is fine) as a 4xx/5xx the client can act on. Messages that could name
 * rows the caller cannot read are not passed on for conflicts (the policies and triggers raise uniform texts;
 * a unique violation's DETAIL would echo another team's key), only the SQLSTATE class.
 */
export function statementError(e: AnyErr): DbError {
  const code: string = e?.code ?? "";
  const m = (status: number, api: string, msg: string) => new DbError(status, api, msg, "statement", {}, code);
  // private.assert_service_token_live(): the service token was revoked (or its client disabled or re-keyed).
  if (code === "28000") {
    return new DbError(401, "invalid_token", "the token has been revoked", "statement", {
      "WWW-Authenticate":
        'Bearer realm="cryoprotect", error="invalid_token", error_description="the token has been revoked"',
    }, code);
  }
  if (code === "57014") return m(504, "DB_STATEMENT_TIMEOUT", "the query took longer than the statement timeout");
  if (code === "42501") return m(403, "FORBIDDEN", "not allowed for this role");
  if (code === "23505") return m(409, "CONFLICT", "a row with the same key already exists");
  if (code === "23503") return m(409, "CONFLICT", "a referenced row does not exist");
  if (code === "40001" || code === "40P01") return m(409, "CONFLICT_RETRY", "concurrent update; retry the request");
  if (code === "25006") return m(403, "READ_ONLY", "this request may not write");
  if (code === "P0001" || code.startsWith("22") || code === "23502" || code === "23514") {
    return m(400, "INVALID_INPUT", e?.message ?? "invalid input");
  }
  return m(500, "DB_ERROR", `database error ${code}`);
}
