// The one database module of the edge functions: postgres.js through the transaction pooler (Supavisor in
// production, pgbouncer locally), created once per isolate, prepared statements off.
//
// Every piece of application work runs through `queryAs` (one round trip) or `withClaims` (interactive), in
// one transaction after the caller's JWT claims and a whitelisted role are set, so RLS applies exactly as
// through PostgREST. Around that: a bounded slot pool with a bounded wait queue (postgres.js has neither a
// queue limit nor pool statistics), a per-request deadline that the client enforces itself (a pooler queues
// clients while Postgres is away), retries only where nothing can have committed, and a circuit breaker.
import {
  BrokenCircuitError,
  circuitBreaker,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  postgres,
  retry,
  type Sql,
  wrap,
} from "./deps.ts";
import { type Config, loadConfig } from "./config.ts";
import { ApiError } from "./errors.ts";
import { log, logThrottled, setLogLevel } from "./log.ts";
import { metrics } from "./metrics.ts";

/** The only roles application work may run as: none is superuser or BYPASSRLS (checked at first connect). */
export const ALLOWED_ROLES = ["anon", "authenticated", "cryo_service"] as const;
export type ApiRole = typeof ALLOWED_ROLES[number];
export type Claims = { role?: string; sub?: string; [k: string]: unknown };
/**
 * `readOnly`: a read-only transaction (also retried when the connection drops). `extended`: always use bind
 * parameters in the extended protocol (the pipelined path), e.g. to keep postgres.js's type-driven value
 * serialisation; by default a single statement goes in one simple-protocol round trip.
 */
export type TxOptions = { readOnly?: boolean; extended?: boolean };

// deno-lint-ignore no-explicit-any
type Pending = Promise<any> & { execute(): unknown; cancel(): unknown };

export type ErrorClass =
  | "connection"
  | "timeout"
  | "overloaded"
  | "circuit_open"
  | "ambiguous_commit"
  | "statement"
  | "unsafe_role";

/** An error the API can answer with: status, stable code, and the class it is counted under. */
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

/** One attempt's failure, with what the policies need to know about it. */
class AttemptError extends Error {
  constructor(readonly api: DbError, readonly retryable: boolean, readonly breaker: boolean) {
    super(api.message);
  }
}

/** Not a database failure (a bug or an ApiError in the caller's code): rethrown unchanged. */
class Passthrough extends Error {
  constructor(readonly original: unknown) {
    super(String(original));
  }
}

type Row = Record<string, unknown>;
type Work =
  | { kind: "pipeline"; build: (tx: Sql) => Pending | Pending[] }
  | { kind: "interactive"; fn: (tx: Sql) => Promise<unknown> };

/** --- Error classification --- */

// Errors postgres.js raises itself when the socket is gone or never came up: no answer from the server.
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

// Server answers that mean "this connection is being refused or torn down", sent before the backend ran the
// statement in question: admin/crash shutdown, cannot connect now, too many connections, pooler limits.
const SERVER_CONNECTION_CODES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "53300",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "08P01",
]);
// Refusals a pooler or server sends instead of running anything: no server for this client (pgbouncer
// query_wait_timeout, failing logins, connection limits) or a server that does not accept connections now.
const POOLER_REFUSAL_MESSAGES =
  /no more connections allowed|max_client_conn|max client connections|server login has been failing|query_wait_timeout|cannot connect to server/i;
// Every refusal, plus the pooler telling us a connection it had is gone.
const POOLER_CONNECTION_MESSAGES = new RegExp(
  `${POOLER_REFUSAL_MESSAGES.source}|server conn crashed|server_login_retry|pooler|tenant|database .* is not available`,
  "i",
);

// deno-lint-ignore no-explicit-any
type AnyErr = any;
const isPgError = (e: AnyErr) =>
  e?.name === "PostgresError" || (typeof e?.severity === "string" && typeof e?.code === "string");
const isClientConnectionError = (e: AnyErr) => !isPgError(e) && CLIENT_CONNECTION_CODES.has(e?.code);
const isServerConnectionError = (e: AnyErr) =>
  isPgError(e) && (SERVER_CONNECTION_CODES.has(e.code) || e.severity === "FATAL" || e.severity === "PANIC" ||
    POOLER_CONNECTION_MESSAGES.test(e.message ?? ""));
const isPoolerRefusal = (e: AnyErr) =>
  isPgError(e) && (e.code === "53300" || e.code === "57P03" || POOLER_REFUSAL_MESSAGES.test(e.message ?? ""));
/** After this error the socket is (or is about to be) closed: the connection must not be reused. */
const connectionGone = (e: AnyErr) => isClientConnectionError(e) || isServerConnectionError(e);

function unavailable(message: string, retryAfterS: number, pgCode?: string) {
  return new DbError(503, "DB_UNAVAILABLE", message, "connection", { "Retry-After": String(retryAfterS) }, pgCode);
}

/** Maps an ordinary SQL error (the connection is fine) to a 4xx/5xx the client can act on. */
function statementError(e: AnyErr): DbError {
  const code: string = e.code ?? "";
  const m = (status: number, api: string, msg: string) => new DbError(status, api, msg, "statement", {}, code);
  if (code === "57014") return m(504, "DB_STATEMENT_TIMEOUT", "the query took longer than the statement timeout");
  if (code === "42501") return m(403, "FORBIDDEN", "not allowed for this role");
  if (code === "23505") return m(409, "CONFLICT", e.detail ?? "already exists");
  if (code === "23503") return m(409, "CONFLICT", e.detail ?? "a referenced row is missing");
  if (code === "40001" || code === "40P01") return m(409, "CONFLICT_RETRY", "concurrent update; retry the request");
  if (code === "P0001" || code.startsWith("22") || code === "23502" || code === "23514") {
    return m(400, "INVALID_INPUT", e.message ?? "invalid input");
  }
  return m(500, "DB_ERROR", `database error ${code}`);
}

/** --- Slots: the client-side pool with a bounded wait queue --- */

type Waiter = {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  onAbort: () => void;
  signal: AbortSignal;
};

class Slots {
  used = 0;
  private waiters: Waiter[] = [];
  constructor(readonly max: number, readonly queueLimit: number) {
    this.report();
  }
  get waiting() {
    return this.waiters.length;
  }
  private report() {
    metrics.inUse.set(this.used);
    metrics.idle.set(this.max - this.used);
    metrics.waiting.set(this.waiters.length);
  }
  acquire(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.used < this.max && this.waiters.length === 0) {
      this.used++;
      this.report();
      return Promise.resolve();
    }
    if (this.waiters.length >= this.queueLimit) {
      metrics.shed.inc();
      return Promise.reject(
        new DbError(503, "DB_OVERLOADED", "too many requests waiting for a database connection", "overloaded", {
          "Retry-After": "1",
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        signal,
        timer: setTimeout(() => {
          this.drop(w);
          reject(
            new DbError(503, "DB_ACQUIRE_TIMEOUT", `no database connection free within ${timeoutMs} ms`, "overloaded", {
              "Retry-After": "1",
            }),
          );
        }, timeoutMs),
        onAbort: () => {
          this.drop(w);
          reject(deadlineError());
        },
      };
      signal.addEventListener("abort", w.onAbort, { once: true });
      this.waiters.push(w);
      this.report();
    });
  }
  private drop(w: Waiter) {
    clearTimeout(w.timer);
    w.signal.removeEventListener("abort", w.onAbort);
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
    this.report();
  }
  /** Everyone waiting gets `err` now (the breaker opened: waiting for a slot would only wait for failure). */
  failWaiters(err: DbError) {
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.signal.removeEventListener("abort", w.onAbort);
      w.reject(err);
    }
    this.report();
  }
  release() {
    const w = this.waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      w.signal.removeEventListener("abort", w.onAbort);
      w.resolve();
    } else this.used--;
    this.report();
  }
}

function deadlineError() {
  return new DbError(504, "DB_TIMEOUT", "the database did not answer within the request deadline", "timeout", {
    "Retry-After": "1",
  });
}

/** Resolves like `p`, or rejects as soon as `signal` aborts (p keeps running; the caller cleans up). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(deadlineError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(deadlineError());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}

/** --- Literals: the only place values become SQL text --- */

function badValue(message: string) {
  return new DbError(400, "INVALID_INPUT", message, "statement");
}

/**
 * A literal Postgres reads back verbatim whatever its settings (no escapes inside dollar quotes). The tag is
 * chosen so that the text does not contain `$tag` anywhere: checking only for `$tag$` would let a text ending
 * in `$tag` run into the closing delimiter and end the literal early.
 */
export function dollarQuote(text: string): string {
  if (text.includes("\0")) throw badValue("text values must not contain NUL characters");
  let tag = "c";
  while (text.includes(`$${tag}`)) tag = `c${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  return `$${tag}$${text}$${tag}$`;
}

/**
 * A value as a SQL literal typed as postgres.js would type it as a bind parameter, so Postgres resolves it
 * the same way: strings and numbers untyped (the server infers the type from context, as for an untyped
 * parameter), booleans and bigints with postgres.js's declared types. `undefined` when the value needs the
 * extended protocol (objects, arrays, dates, bytes, sql.json/typed parameters): the caller falls back to it.
 */
export function sqlLiteral(v: unknown): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return dollarQuote(v);
    case "number":
      if (!Number.isFinite(v)) throw badValue(`numbers must be finite (got ${v})`);
      return dollarQuote(String(v));
    case "bigint":
      return `${dollarQuote(v.toString())}::int8`;
    case "boolean":
      return v ? "true::bool" : "false::bool";
  }
  return undefined;
}

/** A promise that rejects after `ms` unless cleared: how long we wait for the pooler's first answer. */
function answerTimer(ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(ms)), ms);
  });
  promise.catch(() => {});
  return { promise, clear: () => clearTimeout(timer) };
}

class NoAnswer extends Error {
  constructor(ms: number) {
    super(`the pooler did not answer within ${ms} ms (is the database down?)`);
  }
}

const STATE_NAMES: Record<number, string> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "isolated",
};

/** --- The database --- */

export class Database {
  readonly sql: Sql;
  private slots: Slots;
  private policy;
  readonly breaker: CircuitBreakerPolicy;
  private verified = false;
  private unsafe: DbError | null = null;
  private transitions: { to: string; at: string }[] = [];
  private breakerRetryAfterS: number;
  // postgres.js does not export its Identifier class; `sql("name")` builds one, already quoted.
  private identifierClass: unknown;

  constructor(readonly cfg: Config) {
    setLogLevel(cfg.CRYO_LOG_LEVEL);
    this.sql = postgres(cfg.CRYO_DB_URL, {
      prepare: false, // a transaction-mode pooler cannot keep named prepared statements
      max: cfg.CRYO_DB_POOL_MAX,
      idle_timeout: cfg.CRYO_DB_IDLE_TIMEOUT_S || undefined,
      max_lifetime: cfg.CRYO_DB_MAX_LIFETIME_S || null,
      connect_timeout: cfg.CRYO_DB_CONNECT_TIMEOUT_MS / 1000,
      // postgres.js backs off reconnects up to 20 s after repeated failures; the breaker paces us instead, so
      // the first request after an outage reconnects at once.
      backoff: () => cfg.CRYO_DB_RECONNECT_DELAY_MS / 1000,
      connection: { application_name: "cryoprotect-functions" },
      onnotice: () => {},
      onclose: (id: number) => {
        metrics.connectionsClosed.inc();
        logThrottled("conn-close", 5000, "info", "db connection closed", { connection: id });
      },
    });
    this.identifierClass = (this.sql("x") as unknown as object).constructor;
    this.slots = new Slots(cfg.CRYO_DB_POOL_MAX, cfg.CRYO_DB_QUEUE_LIMIT);
    this.breakerRetryAfterS = Math.max(1, Math.ceil(cfg.CRYO_DB_BREAKER_HALF_OPEN_MS / 1000));

    const retryPolicy = retry(handleWhen((e) => e instanceof AttemptError && e.retryable), {
      maxAttempts: cfg.CRYO_DB_RETRY_MAX_ATTEMPTS, // cockatiel: maxAttempts retries after the first call
      backoff: new ExponentialBackoff({
        initialDelay: cfg.CRYO_DB_RETRY_INITIAL_MS,
        maxDelay: cfg.CRYO_DB_RETRY_MAX_DELAY_MS,
      }),
    });
    retryPolicy.onRetry((r) => {
      metrics.retries.inc();
      const err = "error" in r ? r.error : undefined;
      logThrottled("retry", 1000, "info", "db retry", {
        attempt: r.attempt,
        delay_ms: Math.round(r.delay),
        error: String(err),
      });
    });
    this.breaker = circuitBreaker(handleWhen((e) => e instanceof AttemptError && e.breaker), {
      halfOpenAfter: cfg.CRYO_DB_BREAKER_HALF_OPEN_MS,
      breaker: new ConsecutiveBreaker(cfg.CRYO_DB_BREAKER_THRESHOLD),
    });
    metrics.breakerState.set(0);
    this.breaker.onBreak(() => this.slots.failWaiters(this.circuitOpen()));
    this.breaker.onStateChange((s) => {
      const to = STATE_NAMES[s] ?? String(s);
      metrics.breakerState.set(s === CircuitState.Open ? 1 : s === CircuitState.HalfOpen ? 2 : 0);
      metrics.breakerTransitions.inc({ to });
      this.transitions.push({ to, at: new Date().toISOString() });
      if (this.transitions.length > 20) this.transitions.shift();
      log(to === "closed" ? "info" : "warn", "db circuit breaker", { state: to });
    });
    // Retry outside the breaker: each attempt is seen by the breaker, and "circuit open" is never retried.
    this.policy = wrap(retryPolicy, this.breaker);
  }

  /**
   * One round trip. A single statement whose values render as literals goes as one simple-protocol query
   * (SET LOCALs + the statement, an implicit transaction); otherwise BEGIN, the claims and role, the
   * statements `build` returns, and COMMIT are pipelined in one write in the extended protocol. `build` only
   * creates queries on `tx` (never awaits them) and may be called twice (once to inspect, once to run); a
   * single query resolves to its rows, an array to an array of row lists. A single query must hold exactly
   * one statement (the simple protocol would run several).
   */
  queryAs<T = Row[]>(claims: Claims, build: (tx: Sql) => Pending | Pending[], opts: TxOptions = {}): Promise<T> {
    return this.run(claims, opts, { kind: "pipeline", build }) as Promise<T>;
  }

  /** Interactive transaction: `fn` may await between statements; COMMIT is sent once it resolves. */
  withClaims<T>(claims: Claims, fn: (tx: Sql) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    return this.run(claims, opts, { kind: "interactive", fn }) as Promise<T>;
  }

  private roleFor(claims: Claims): ApiRole {
    const role = claims.role ?? "anon";
    if (!(ALLOWED_ROLES as readonly string[]).includes(role)) {
      // Refused, never downgraded: a wrong role would silently see nothing (or too much).
      throw new DbError(403, "ROLE_NOT_ALLOWED", `role "${role}" cannot run application work`, "unsafe_role");
    }
    return role as ApiRole;
  }

  private async run(claims: Claims, opts: TxOptions, work: Work): Promise<unknown> {
    const role = this.roleFor(claims);
    if (this.unsafe) throw this.unsafe;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.cfg.CRYO_DB_REQUEST_TIMEOUT_MS);
    const started = performance.now();
    try {
      return await abortable(
        this.policy.execute(({ signal }) => this.attempt(role, claims, opts, work, signal), ac.signal),
        ac.signal,
      );
    } catch (e) {
      if (e instanceof Passthrough) throw e.original;
      const api = this.toApiError(e);
      metrics.errors.inc({ class: api.errorClass });
      if (api.errorClass !== "statement") {
        logThrottled(`err-${api.code}`, 1000, "warn", "db request failed", {
          code: api.code,
          class: api.errorClass,
          ms: Math.round(performance.now() - started),
          error: api.message,
        });
      }
      throw api;
    } finally {
      // No abort() once the policy has settled: no attempt is left waiting then, and dispatching the event
      // through cockatiel's derived signals costs more than the rest of this bookkeeping together.
      clearTimeout(timer);
    }
  }

  private toApiError(e: unknown): DbError {
    if (e instanceof AttemptError) return e.api;
    if (e instanceof DbError) return e;
    if (e instanceof BrokenCircuitError) return this.circuitOpen();
    return new DbError(500, "DB_ERROR", String((e as Error)?.message ?? e), "statement");
  }

  private async attempt(
    role: ApiRole,
    claims: Claims,
    opts: TxOptions,
    work: Work,
    signal: AbortSignal,
  ): Promise<unknown> {
    const cfg = this.cfg;
    const t0 = performance.now();
    try {
      await this.slots.acquire(cfg.CRYO_DB_ACQUIRE_TIMEOUT_MS, signal);
    } catch (e) {
      throw new AttemptError(e as DbError, false, false);
    }
    // The slot is freed exactly once, by whoever ends up owning the connection's clean-up.
    let freed = false;
    const freeSlot = () => {
      if (!freed) (freed = true, this.slots.release());
    };
    let transacting = false;
    const tStart = performance.now();
    let outcome = "ok";
    try {
      if (!this.verified) await this.verifyOnce(signal);
      if (work.kind === "pipeline" && cfg.CRYO_DB_ONE_ROUND_TRIP && !opts.extended) {
        const one = this.oneStatement(work.build);
        if (one) {
          transacting = true;
          return await this.oneTrip(
            one,
            role,
            claims,
            opts,
            signal,
            () => metrics.acquire.observe((performance.now() - t0) / 1000),
            freeSlot,
          );
        }
      }
      // No bind parameters here on purpose: with prepare:false, postgres.js describes every parameterised
      // statement first (an extra round trip that also stalls the pipeline). The role comes from the
      // whitelist, the timeout is an integer, and the claims are dollar-quoted with a tag they do not contain.
      const setupText = `select set_config('request.jwt.claims', ${dollarQuote(JSON.stringify(claims))}, true), ` +
        `set_config('role', '${role}', true), set_config('statement_timeout', '${cfg.CRYO_DB_STATEMENT_TIMEOUT_MS}', true)`;
      const setupOn = (tx: Sql) => tx.unsafe(setupText) as unknown as Pending;
      transacting = true;
      if (work.kind === "pipeline") {
        return await this.pipeline(
          work.build,
          setupOn,
          opts,
          signal,
          () => metrics.acquire.observe((performance.now() - t0) / 1000),
          freeSlot,
        );
      }
      metrics.acquire.observe((performance.now() - t0) / 1000);
      return await this.interactive(work.fn, setupOn, opts, signal, freeSlot);
    } catch (e) {
      outcome = e instanceof AttemptError ? e.api.errorClass : "error";
      throw e;
    } finally {
      if (!transacting) freeSlot();
      const s = (performance.now() - tStart) / 1000;
      metrics.query.observe({ outcome }, s);
      if (cfg.CRYO_DB_SLOW_QUERY_MS && s * 1000 >= cfg.CRYO_DB_SLOW_QUERY_MS) {
        metrics.slow.inc();
        logThrottled("slow", 1000, "warn", "slow transaction", { ms: Math.round(s * 1000), role, outcome });
      }
    }
  }

  private circuitOpen() {
    return new DbError(
      503,
      "DB_CIRCUIT_OPEN",
      "the database is unavailable; failing fast until it recovers",
      "circuit_open",
      {
        "Retry-After": String(this.breakerRetryAfterS),
      },
    );
  }

  /** Fails closed if the login role could bypass RLS, or if a whitelisted role could. Once per isolate. */
  private async verifyOnce(signal: AbortSignal) {
    let r: AnyErr;
    const first = answerTimer(this.cfg.CRYO_DB_CONNECT_TIMEOUT_MS);
    try {
      [r] = await abortable(
        Promise.race([
          first.promise,
          this.sql`
          select r.rolsuper, r.rolbypassrls,
                 (select coalesce(array_agg(t.rolname::text), '{}') from pg_roles t
                   where t.rolname = any(${ALLOWED_ROLES as unknown as string[]}::text[])
                     and (t.rolsuper or t.rolbypassrls)) as unsafe_roles
            from pg_roles r where r.rolname = session_user` as unknown as Promise<AnyErr[]>,
        ]),
        signal,
      );
    } catch (e) {
      if (e instanceof DbError) throw new AttemptError(e, false, true);
      if (e instanceof NoAnswer) throw new AttemptError(unavailable(e.message, 5), false, true);
      throw this.classify(e, false, { readOnly: true });
    } finally {
      first.clear();
    }
    if (!r || r.rolsuper || r.rolbypassrls || r.unsafe_roles.length) {
      this.unsafe = new DbError(
        500,
        "DB_UNSAFE_ROLE",
        "the database login role (or a whitelisted role) is superuser or BYPASSRLS; refusing to serve",
        "unsafe_role",
      );
      log("error", "db login role is unsafe; refusing all work", { row: r ?? null });
      throw new AttemptError(this.unsafe, false, false);
    }
    this.verified = true;
  }

  /**
   * The work as one statement's text with its values as literals, or null when it needs the extended
   * protocol: several statements (their results could not be told apart in one simple query), values
   * `sqlLiteral` cannot render, fragments, or result modes (raw, cursor, forEach) of postgres.js.
   */
  private oneStatement(build: (tx: Sql) => Pending | Pending[]): { text: string; array: boolean } | null {
    let built: Pending | Pending[];
    try {
      built = build(this.sql);
    } catch (e) {
      throw new Passthrough(e);
    }
    const array = Array.isArray(built);
    const list = array ? built as Pending[] : [built as Pending];
    if (list.length !== 1) return null;
    // deno-lint-ignore no-explicit-any
    const q = list[0] as any;
    if (!q || !Array.isArray(q.strings) || !Array.isArray(q.args)) return null;
    if (q.isRaw || q.cursorFn || q.forEachFn || q.onlyDescribe || q.streaming || q.executed) return null;
    if (!q.tagged) return q.args.length === 0 ? { text: q.strings[0], array } : null;
    let text = q.strings[0];
    for (let i = 1; i < q.strings.length; i++) {
      const v = q.args[i - 1];
      let lit: string | undefined;
      if (v instanceof (this.identifierClass as new () => { value: string })) lit = v.value;
      else {
        try {
          lit = sqlLiteral(v);
        } catch (e) {
          throw new AttemptError(e as DbError, false, false);
        }
      }
      if (lit === undefined) return null;
      text += lit + q.strings[i];
    }
    return { text, array };
  }

  /** Reserves a connection within the connect/first-answer bound; on failure nothing has been sent. */
  private async reserveConn(
    first: ReturnType<typeof answerTimer>,
    signal: AbortSignal,
    freeSlot: () => void,
  ): Promise<Sql & { release(): void }> {
    const reserving = this.sql.reserve() as Promise<Sql & { release(): void }>;
    try {
      return await abortable(Promise.race([reserving, first.promise]), signal);
    } catch (e) {
      first.clear();
      // The connection may still arrive later: hand it back then. The slot is free now; postgres.js's own
      // `max` bounds how many such stragglers there can be.
      reserving.then((c) => c.release(), () => {});
      freeSlot();
      if (e instanceof DbError) throw new AttemptError(e, false, true);
      if (e instanceof NoAnswer) throw new AttemptError(unavailable(e.message, 5), false, true);
      // Nothing was sent: refused, reset or timed out while connecting, or the pooler/server refused login.
      const auth = isPgError(e) && String((e as AnyErr).code).startsWith("28");
      throw new AttemptError(
        unavailable(`cannot connect to the database: ${(e as Error).message}`, 5, (e as AnyErr).code),
        !auth,
        true,
      );
    }
  }

  /**
   * One simple-protocol query: the SET LOCALs and the statement. Postgres runs the statements of one simple
   * Query message as one implicit transaction (committed when the last succeeds, rolled back as a whole if
   * any fails, so the connection never stays in an aborted transaction) and SET LOCAL lasts until its end.
   * The SETs return no rows, so the statement's result is the last one postgres.js reports.
   */
  private async oneTrip(
    one: { text: string; array: boolean },
    role: ApiRole,
    claims: Claims,
    opts: TxOptions,
    signal: AbortSignal,
    acquired: () => void,
    freeSlot: () => void,
  ): Promise<unknown> {
    const text = `set local role ${role}; set local request.jwt.claims to ${dollarQuote(JSON.stringify(claims))}; ` +
      `set local statement_timeout = ${this.cfg.CRYO_DB_STATEMENT_TIMEOUT_MS}; ` +
      (opts.readOnly ? "set local transaction_read_only = on; " : "") + one.text;
    const first = answerTimer(this.cfg.CRYO_DB_CONNECT_TIMEOUT_MS);
    const tx = await this.reserveConn(first, signal, freeSlot);
    acquired();
    // An empty query written together with the transaction (same write, no extra round trip): the pooler
    // needs a server to answer it, so its reply is "the pooler has a live database", bounded by the connect
    // timeout, whatever the statement's own duration (statement_timeout bounds that).
    const probe = tx.unsafe("").simple() as unknown as Pending;
    const q = tx.unsafe(text).simple() as unknown as Pending;
    probe.execute();
    q.execute();
    type Outcome = { ok: true; value: AnyErr } | { ok: false; error: AnyErr };
    const settled: Promise<Outcome> = q.then((value) => ({ ok: true, value }), (error) => ({ ok: false, error }));
    const cleanup = (r: Outcome) => {
      if (r.ok || !connectionGone(r.error)) tx.release();
      freeSlot();
    };
    let r: Outcome;
    let answered = false;
    try {
      // Whatever the probe's own outcome, the transaction's is the one that counts (it may have run).
      await abortable(Promise.race([probe.then(() => {}, () => {}), settled, first.promise]), signal);
      answered = true;
      first.clear();
      r = await abortable(settled, signal);
    } catch (e) {
      settled.then(cleanup);
      freeSlot();
      if (e instanceof NoAnswer && !opts.readOnly) {
        // The statement (and its implicit COMMIT) is with the pooler, which may still run it.
        throw this.classify(e, true, opts);
      }
      if (e instanceof NoAnswer) throw new AttemptError(unavailable(e.message, 5), false, true);
      throw new AttemptError(deadlineError(), false, !answered); // silence from the pooler counts for the breaker
    } finally {
      first.clear();
    }
    cleanup(r);
    if (!r.ok) {
      // A pooler that refuses a query it has no server for answers before forwarding anything.
      if (isPoolerRefusal(r.error)) throw this.classify(r.error, false, opts, true);
      // Otherwise the commit is at the end of this very message: a lost connection leaves it unknown.
      throw this.classify(r.error, true, opts);
    }
    const res = r.value;
    const mine = "command" in res ? res : res[res.length - 1];
    return one.array ? [mine] : mine;
  }

  /** Reserve one connection, write BEGIN…COMMIT at once, and hand it back only once every reply is in. */
  private async pipeline(
    build: (tx: Sql) => Pending | Pending[],
    setupOn: (tx: Sql) => Pending,
    opts: TxOptions,
    signal: AbortSignal,
    acquired: () => void,
    freeSlot: () => void,
  ): Promise<unknown> {
    // Getting a connection and the first reply share one bound: a transaction-mode pooler accepts clients and
    // then queues them while it has no server, so "connected" alone says nothing about the database.
    const first = answerTimer(this.cfg.CRYO_DB_CONNECT_TIMEOUT_MS);
    const tx = await this.reserveConn(first, signal, freeSlot);
    acquired();
    let built: Pending | Pending[];
    try {
      built = build(tx);
    } catch (e) {
      first.clear();
      tx.release();
      freeSlot();
      throw new Passthrough(e);
    }
    const queries = Array.isArray(built) ? built : [built];
    const begin = tx.unsafe(opts.readOnly ? "begin read only" : "begin") as unknown as Pending;
    const setup = setupOn(tx);
    const commit = tx`commit` as unknown as Pending;
    const sent: Pending[] = [begin, setup, ...queries, commit];
    for (const q of sent) q.execute();
    const settled = Promise.allSettled(sent);
    const cleanup = (results: PromiseSettledResult<unknown>[]) => {
      // A connection the server or pooler closed is already out of postgres.js's pool; releasing it would
      // put it back. Every other outcome has ended the transaction (COMMIT, or ROLLBACK after an error).
      if (!results.some((r) => r.status === "rejected" && connectionGone(r.reason))) tx.release();
      freeSlot();
    };
    // No cancel on give-up: statement_timeout (set in the same pipeline) bounds the work, and postgres.js
    // drops the promise of a cancel request, whose failure would surface as an unhandled rejection.
    let beginError: unknown = null;
    try {
      beginError = await abortable(
        Promise.race([begin.then(() => null, (e) => e ?? new Error("begin failed")), first.promise]),
        signal,
      );
    } catch (e) {
      settled.then(cleanup);
      freeSlot();
      if (e instanceof NoAnswer) throw new AttemptError(unavailable(e.message, 5), false, true);
      throw new AttemptError(deadlineError(), false, true);
    } finally {
      first.clear();
    }
    if (beginError) {
      // BEGIN itself was refused (a pooler answers "server login failing" and keeps the client): none of our
      // transaction ran. Anything the pooler still runs later runs outside it, as the login role, which owns
      // and is granted nothing: it cannot write, so running the transaction again cannot duplicate a write.
      settled.then(cleanup);
      freeSlot();
      throw this.classify(beginError, false, opts, true);
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
      throw this.classify(err, !beforeCommit, opts);
    }
    const tag = (results[results.length - 1] as PromiseFulfilledResult<AnyErr>).value?.command;
    if (tag !== "COMMIT") {
      throw new AttemptError(new DbError(500, "DB_ERROR", `transaction ended with ${tag}`, "statement"), false, false);
    }
    const values = results.slice(2, -1).map((r) => (r as PromiseFulfilledResult<unknown>).value);
    return Array.isArray(built) ? values : values[0];
  }

  /** sql.begin watches its connection for closes between awaits; claims and role ride with the first query. */
  private async interactive(
    fn: (tx: Sql) => Promise<unknown>,
    setupOn: (tx: Sql) => Pending,
    opts: TxOptions,
    signal: AbortSignal,
    freeSlot: () => void,
  ): Promise<unknown> {
    let phase = "body" as "body" | "commit";
    let began!: () => void;
    const beganP = new Promise<void>((r) => (began = r));
    let hasBegun = false;
    const work = this.sql.begin(opts.readOnly ? "read only" : "", async (t) => {
      const tx = t as unknown as Sql;
      hasBegun = true;
      began();
      const setup = setupOn(tx);
      setup.execute();
      const body = fn(tx);
      const [, value] = await Promise.all([setup, body]);
      phase = "commit";
      return value;
    }) as Promise<unknown>;
    work.then(freeSlot, freeSlot);
    const first = answerTimer(this.cfg.CRYO_DB_CONNECT_TIMEOUT_MS);
    try {
      await abortable(Promise.race([beganP, work.then(() => {}), first.promise]), signal);
      first.clear();
      return await abortable(work, signal);
    } catch (e) {
      first.clear();
      if (e instanceof NoAnswer) {
        freeSlot(); // the pooler holds the connection; postgres.js's `max` bounds such stragglers
        throw new AttemptError(unavailable(e.message, 5), false, true);
      }
      if (e instanceof DbError) throw new AttemptError(e, false, !hasBegun);
      if (isPgError(e) || CLIENT_CONNECTION_CODES.has((e as AnyErr)?.code)) {
        throw this.classify(e, phase === "commit", opts, !hasBegun);
      }
      throw new Passthrough(e);
    }
  }

  /**
   * Why an attempt failed, and whether it may run again: only if nothing can have committed.
   * `commitInDoubt`: COMMIT may have reached the server (it was sent, or it is unknown what ran).
   */
  private classify(err: AnyErr, commitInDoubt: boolean, opts: TxOptions, nothingSent = false): AttemptError {
    if (err instanceof AttemptError) return err;
    if (!connectionGone(err) && !(err instanceof NoAnswer)) return new AttemptError(statementError(err), false, false);
    if (nothingSent || opts.readOnly || (isServerConnectionError(err) && !commitInDoubt)) {
      // Refused before anything ran, or ended by the server before COMMIT (rolled back), or read-only.
      return new AttemptError(unavailable(`database connection failed: ${err.message}`, 5, err.code), true, true);
    }
    if (commitInDoubt) {
      return new AttemptError(
        new DbError(
          503,
          "DB_COMMIT_UNKNOWN",
          "the connection was lost after COMMIT was sent: the write may or may not have been applied; check before retrying",
          "ambiguous_commit",
          {},
          err.code,
        ),
        false,
        true,
      );
    }
    // Lost mid-transaction before COMMIT: rolled back, but the statements did run; the client decides.
    return new AttemptError(unavailable(`database connection lost: ${err.message}`, 5, err.code), false, true);
  }

  /** Pool and breaker state for GET /health. */
  summary() {
    return {
      max: this.cfg.CRYO_DB_POOL_MAX,
      in_use: this.slots.used,
      idle: this.cfg.CRYO_DB_POOL_MAX - this.slots.used,
      waiting: this.slots.waiting,
      queue_limit: this.cfg.CRYO_DB_QUEUE_LIMIT,
      breaker: STATE_NAMES[this.breaker.state] ?? String(this.breaker.state),
      breaker_transitions: this.transitions.slice(-5),
    };
  }

  async end() {
    await this.sql.end({ timeout: 1 });
  }
}

// postgres.js drops the promise of a cancel request and of some socket writes; when the pooler goes away
// those reject with no handler, and Deno ends the process on an unhandled rejection. A lost connection is
// already reported to the query that owned it, so these stray ones are logged, not fatal.
globalThis.addEventListener("unhandledrejection", (ev) => {
  const r = (ev as PromiseRejectionEvent).reason;
  if (isClientConnectionError(r) || isServerConnectionError(r)) {
    ev.preventDefault();
    logThrottled("stray-rejection", 5000, "debug", "db stray connection error", { error: String(r?.message ?? r) });
  }
});

let instance: Database | undefined;

/** The isolate's database, created on first use from the environment (validated once). */
export function database(): Database {
  if (!instance) instance = new Database(loadConfig());
  return instance;
}

export async function closeDb(): Promise<void> {
  const d = instance;
  instance = undefined;
  await d?.end();
}
