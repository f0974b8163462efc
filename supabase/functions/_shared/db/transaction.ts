// One request transaction on one pooled connection, and what its failure means.
//
// queryAs: the connection is reserved and everything is written at once (one round trip when every statement
// could be rendered, see render.ts): the reset message (BEGIN, RESET ALL, role, timeout, search_path), the
// settings message (claims and values), the statements, and COMMIT — each a simple-protocol Query, except
// statements that take the bind-parameter path (postgres.js extended protocol). Postgres runs them in order;
// an error aborts the transaction and the final COMMIT then answers ROLLBACK.
// withClaims: postgres.js's sql.begin, with the same reset and settings as its first statements.
//
// Retries are only allowed when nothing can have committed; the connection is handed back once every reply
// is in, unless the server or pooler closed it (postgres.js has then dropped it already).
import type { Sql } from "postgres";
import {
  AttemptError,
  connectionGone,
  DbError,
  deadlineError,
  isClientConnectionError,
  isPgError,
  isServerConnectionError,
  NoAnswer,
  Passthrough,
  statementError,
  unavailable,
} from "./errors.ts";
import { abortable, answerTimer } from "./slots.ts";

// deno-lint-ignore no-explicit-any
export type Pending = Promise<any> & { execute(): unknown; cancel(): unknown };

/**
 * `readOnly`: a read-only transaction (also retried when the connection drops). `extended`: bind parameters
 * always. `requestId`: the request's id, set as `cryo.request_id` for the audit log.
 */
export type TxOptions = { readOnly?: boolean; extended?: boolean; requestId?: string };

/**
 * Why an attempt failed, and whether it may run again: only if nothing can have committed.
 * `commitInDoubt`: COMMIT may have reached the server. `nothingSent`: none of our statements can have run.
 */
export function classify(err: unknown, commitInDoubt: boolean, opts: TxOptions, nothingSent = false): AttemptError {
  if (err instanceof AttemptError) return err;
  // deno-lint-ignore no-explicit-any
  const e = err as any;
  if (!connectionGone(e) && !(e instanceof NoAnswer)) return new AttemptError(statementError(e), false, false);
  if (nothingSent || opts.readOnly || (isServerConnectionError(e) && !commitInDoubt)) {
    return new AttemptError(unavailable("database connection failed", 5, e?.code), true, true);
  }
  if (commitInDoubt) {
    return new AttemptError(
      new DbError(
        503,
        "DB_COMMIT_UNKNOWN",
        "the connection was lost after COMMIT was sent: the write may or may not have been applied; check before retrying",
        "ambiguous_commit",
        {},
        e?.code,
      ),
      false,
      true,
    );
  }
  // Lost mid-transaction before COMMIT: rolled back, but statements did run; the client decides.
  return new AttemptError(unavailable("database connection lost", 5, e?.code), false, true);
}

export type Reserved = Sql & { release(): void };

/**
 * Reserves a connection within the connect/first-answer bound; on failure nothing has been sent.
 * `freeSlot` is called on failure (the slot's owner then is this function).
 */
export async function reserveConn(
  sql: Sql,
  first: ReturnType<typeof answerTimer>,
  signal: AbortSignal,
  freeSlot: () => void,
): Promise<Reserved> {
  const reserving = sql.reserve() as Promise<Reserved>;
  try {
    return await abortable(Promise.race([reserving, first.promise]), signal);
  } catch (e) {
    first.clear();
    // The connection may still arrive later: hand it back then. postgres.js's own `max` bounds stragglers.
    reserving.then((c) => c.release(), () => {});
    freeSlot();
    if (e instanceof DbError) throw new AttemptError(e, false, true);
    if (e instanceof NoAnswer) {
      throw new AttemptError(unavailable("the database pooler did not answer", 5), false, true);
    }
    // Refused, reset or timed out while connecting, or the pooler/server refused the login: nothing was sent.
    // deno-lint-ignore no-explicit-any
    const code = (e as any)?.code;
    const auth = isPgError(e) && String(code).startsWith("28");
    throw new AttemptError(unavailable("cannot connect to the database", 5, code), !auth, true);
  }
}

/**
 * Writes `sent` (the reset message first, COMMIT last) at once on a reserved connection and returns every
 * reply. The first reply must arrive within the connect bound (a pooler queues clients silently while it has
 * no server); after that the request deadline bounds the wait. `allWritten`: every message, COMMIT included,
 * leaves in this write (no statement waits for a describe), so silence may hide a commit.
 */
export async function pipeline(
  tx: Reserved,
  sent: Pending[],
  first: ReturnType<typeof answerTimer>,
  opts: TxOptions,
  signal: AbortSignal,
  freeSlot: () => void,
  allWritten: boolean,
): Promise<unknown[]> {
  for (const q of sent) q.execute();
  const settled = Promise.allSettled(sent);
  // Called once: either when the replies are in, or (after a give-up) when they arrive later.
  const cleanup = (results: PromiseSettledResult<unknown>[]) => {
    // A connection the server or pooler closed is already out of postgres.js's pool; releasing it would put
    // it back. Every other outcome has ended the transaction (COMMIT, or ROLLBACK after an error: Postgres
    // answers the final COMMIT of a failed transaction with ROLLBACK).
    if (!results.some((r) => r.status === "rejected" && connectionGone(r.reason))) tx.release();
    freeSlot();
  };

  // No cancel on give-up: statement_timeout (set in the same pipeline) bounds the work, and postgres.js drops
  // the promise of a cancel request, whose failure would surface as an unhandled rejection.
  let resetError: unknown = null;
  try {
    resetError = await abortable(
      Promise.race([sent[0].then(() => null, (e) => e ?? new Error("reset failed")), first.promise]),
      signal,
    );
  } catch (e) {
    settled.then(cleanup);
    freeSlot();
    // The whole transaction is with a silent pooler, which may still run it.
    if (e instanceof NoAnswer && allWritten && !opts.readOnly) throw classify(e, true, opts);
    if (e instanceof NoAnswer) {
      throw new AttemptError(unavailable("the database pooler did not answer", 5), false, true);
    }
    throw new AttemptError(deadlineError(), false, true);
  } finally {
    first.clear();
  }
  if (resetError) {
    settled.then(cleanup);
    freeSlot();
    // An answer to the reset message (a pooler's refusal such as "server login failing", or an error in
    // BEGIN/RESET): Postgres runs messages in order, so none of our statements ran, or they ran in an aborted
    // transaction, or (BEGIN refused) outside it as the login role, which owns and is granted nothing.
    // No answer at all (the connection dropped) after COMMIT left with the rest: the outcome is unknown.
    if (!isPgError(resetError) && allWritten && !opts.readOnly) throw classify(resetError, true, opts);
    throw classify(resetError, false, opts, true);
  }
  let results: PromiseSettledResult<unknown>[];
  try {
    results = await abortable(settled, signal);
  } catch {
    settled.then(cleanup);
    throw new AttemptError(deadlineError(), false, false);
  }
  cleanup(results);
  const failed = results.findIndex((r) => r.status === "rejected");
  if (failed >= 0) {
    const err = (results[failed] as PromiseRejectedResult).reason;
    // The server runs a pipeline in order: a connection error it sent in reply to a statement before COMMIT
    // means COMMIT never ran. Silence (no reply), or an error in reply to COMMIT itself, is ambiguous.
    const beforeCommit = failed < sent.length - 1 && isServerConnectionError(err);
    throw classify(err, !beforeCommit, opts);
  }
  // deno-lint-ignore no-explicit-any
  const last = (results[results.length - 1] as PromiseFulfilledResult<any>).value;
  const tag = last?.command;
  if (tag !== "COMMIT") {
    throw new AttemptError(new DbError(500, "DB_ERROR", `transaction ended with ${tag}`, "statement"), false, false);
  }
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value);
}

/** sql.begin watches its connection for closes between awaits; the reset and the claims ride first. */
export async function interactive(
  sql: Sql,
  fn: (tx: Sql) => Promise<unknown>,
  setup: { reset: string; settings: string },
  connectTimeoutMs: number,
  opts: TxOptions,
  signal: AbortSignal,
  freeSlot: () => void,
): Promise<unknown> {
  let phase = "body" as "body" | "commit";
  let began!: () => void;
  const beganP = new Promise<void>((r) => (began = r));
  let hasBegun = false;
  const mode = `isolation level read committed ${opts.readOnly ? "read only" : "read write"}`;
  const work = sql.begin(mode, async (t) => {
    const tx = t as unknown as Sql;
    hasBegun = true;
    began();
    const reset = tx.unsafe(setup.reset) as unknown as Pending;
    const settings = tx.unsafe(setup.settings) as unknown as Pending;
    reset.execute();
    settings.execute();
    const body = fn(tx);
    const [, , value] = await Promise.all([reset, settings, body]);
    phase = "commit";
    return value;
  }) as Promise<unknown>;
  work.then(freeSlot, freeSlot);
  const first = answerTimer(connectTimeoutMs);
  try {
    await abortable(Promise.race([beganP, work.then(() => {}), first.promise]), signal);
    first.clear();
    return await abortable(work, signal);
  } catch (e) {
    first.clear();
    if (e instanceof NoAnswer) {
      freeSlot(); // the pooler holds the connection; postgres.js's `max` bounds such stragglers
      throw new AttemptError(unavailable("the database pooler did not answer", 5), false, true);
    }
    if (e instanceof DbError) throw new AttemptError(e, false, !hasBegun);
    if (isPgError(e) || isClientConnectionError(e)) throw classify(e, phase === "commit", opts, !hasBegun);
    throw new Passthrough(e);
  }
}
