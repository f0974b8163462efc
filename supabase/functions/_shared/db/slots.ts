// The client-side pool of one isolate: at most `max` transactions at once, a bounded wait queue in front of
// it (postgres.js has neither a queue limit nor pool statistics), and the deadline helpers every wait uses.
import { metrics } from "../metrics.ts";
import { DbError, deadlineError, NoAnswer } from "./errors.ts";

type Waiter = {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  onAbort: () => void;
  signal: AbortSignal;
};

/** Slots with a FIFO queue: overflow is shed at once (503 DB_OVERLOADED), waiting is bounded (DB_ACQUIRE_TIMEOUT). */
export class Slots {
  used = 0;
  private waiters: Waiter[] = [];
  constructor(readonly max: number, readonly queueLimit: number) {
    this.report();
  }
  get waiting(): number {
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

/** Resolves like `p`, or rejects with DB_TIMEOUT as soon as `signal` aborts (p keeps running; the caller cleans up). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
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

/** A promise that rejects with NoAnswer after `ms` unless cleared: how long we wait for the pooler's first answer. */
export function answerTimer(ms: number): { promise: Promise<never>; clear: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(ms)), ms);
  });
  promise.catch(() => {});
  return { promise, clear: () => clearTimeout(timer) };
}
