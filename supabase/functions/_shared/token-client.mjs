// A service token client for long-running processes (the toxicity importer, curators' scripts, a LIMS
// bridge): it gets a token from the token endpoint (client credentials, client_secret_basic), hands it out
// until shortly before it expires, refreshes it then (with jitter, so a fleet started together does not
// refresh together), retries transient failures (network errors, 5xx, 429) with exponential backoff
// (cockatiel), and never logs or prints the secret.
//
// Plain JavaScript with JSDoc types and only web-standard APIs (fetch, URLSearchParams, btoa, TextEncoder)
// plus cockatiel, so the same file runs under Deno and under Node ≥ 20 (which cannot import TypeScript).
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";

/** A token request that failed for good: `error` is the RFC 6749 §5.2 code (or "http_<status>"/"network"). */
export class TokenError extends Error {
  /** @param {string} error @param {number} status @param {string} [description] */
  constructor(error, status, description) {
    super(`token request failed: ${error}${description ? ` (${description})` : ""}`);
    this.name = "TokenError";
    this.error = error;
    this.status = status;
  }
}

class Transient extends Error {
  /** @param {string} message @param {number} [retryAfterMs] */
  constructor(message, retryAfterMs) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * @typedef {object} TokenClientOptions
 * @property {string} tokenUrl          the token endpoint, e.g. https://<ref>.supabase.co/functions/v1/service-token
 * @property {string} clientId          cpc_…
 * @property {string} clientSecret      cps_… (kept private: never logged, printed or put in an error)
 * @property {string} [scope]           space-separated scopes to request (default: all the client may have)
 * @property {number} [refreshBeforeS]  refresh this many seconds before expiry (default 60)
 * @property {number} [jitterS]         plus up to this many random seconds earlier (default 30)
 * @property {number} [maxAttempts]     retries after the first try for transient failures (default 4)
 * @property {number} [initialDelayMs]  first backoff delay (default 200 ms; doubles up to maxDelayMs)
 * @property {number} [maxDelayMs]      longest backoff delay (default 10 s)
 * @property {typeof fetch} [fetch]     fetch implementation (tests)
 * @property {() => number} [now]       clock in ms (tests)
 * @property {() => number} [random]    random in [0, 1) (tests)
 * @property {(level: string, msg: string, fields?: object) => void} [log]  a logger (never receives the secret)
 */

export class TokenClient {
  #secret;
  /** @type {{ token: string, expiresAt: number, refreshAt: number } | null} */
  #current = null;
  /** @type {Promise<string> | null} */
  #pending = null;
  #policy;

  /** @param {TokenClientOptions} opts */
  constructor(opts) {
    if (!opts?.tokenUrl || !opts.clientId || !opts.clientSecret) {
      throw new TypeError("TokenClient needs tokenUrl, clientId and clientSecret");
    }
    this.#secret = opts.clientSecret;
    this.tokenUrl = opts.tokenUrl;
    this.clientId = opts.clientId;
    this.scope = opts.scope;
    this.refreshBeforeS = opts.refreshBeforeS ?? 60;
    this.jitterS = opts.jitterS ?? 30;
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? (() => {});
    this.#policy = retry(handleWhen((e) => e instanceof Transient), {
      maxAttempts: opts.maxAttempts ?? 4,
      backoff: new ExponentialBackoff({
        initialDelay: opts.initialDelayMs ?? 200,
        maxDelay: opts.maxDelayMs ?? 10_000,
      }),
    });
    this.#policy.onRetry((r) => {
      const err = "error" in r ? r.error : undefined;
      this.log("warn", "token request failed; retrying", {
        attempt: r.attempt,
        delay_ms: Math.round(r.delay),
        error: err instanceof Error ? err.message : String(err),
      });
    });
  }

  /**
   * A valid access token: the cached one until its refresh time, else a new one (concurrent callers share
   * one request). If a refresh fails but the current token has not expired yet, that token is returned.
   * Rejects with TokenError for a definitive failure (invalid_client, invalid_scope, …, or retries used up).
   * @returns {Promise<string>}
   */
  async getToken() {
    const cur = this.#current;
    const now = this.now();
    if (cur && now < cur.refreshAt) return cur.token;
    if (!this.#pending) {
      this.#pending = this.#fetchToken().finally(() => (this.#pending = null));
    }
    try {
      return await this.#pending;
    } catch (e) {
      if (cur && this.now() < cur.expiresAt) {
        this.log("warn", "token refresh failed; using the current token until it expires", {
          error: e instanceof Error ? e.message : String(e),
        });
        return cur.token;
      }
      throw e;
    }
  }

  /** `Bearer <token>`, for an Authorization header. @returns {Promise<string>} */
  async authorization() {
    return `Bearer ${await this.getToken()}`;
  }

  /** Forgets the token (e.g. after a 401 from an API: it may have been revoked); the next call fetches one. */
  invalidate() {
    this.#current = null;
  }

  /** @returns {Promise<string>} */
  async #fetchToken() {
    const started = this.now();
    let body;
    try {
      body = await this.#policy.execute(() => this.#request());
    } catch (e) {
      if (e instanceof Transient) {
        throw new TokenError("temporarily_unavailable", 0, `retries used up; last: ${e.message}`);
      }
      throw e;
    }
    const expiresIn = Number(body.expires_in);
    if (typeof body.access_token !== "string" || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      throw new TokenError("invalid_response", 200, "the token endpoint answered without a token");
    }
    // Refresh refreshBeforeS (+ up to jitterS) before expiry, but never later than 3/4 of the lifetime.
    const early = Math.min(
      this.refreshBeforeS + this.random() * this.jitterS,
      expiresIn / 4 + this.random() * expiresIn / 4,
    );
    const expiresAt = started + expiresIn * 1000;
    this.#current = { token: body.access_token, expiresAt, refreshAt: expiresAt - early * 1000 };
    this.log("info", "service token obtained", { client_id: this.clientId, expires_in: expiresIn, scope: body.scope });
    return body.access_token;
  }

  async #request() {
    const basic = btoa(`${encodeURIComponent(this.clientId)}:${encodeURIComponent(this.#secret)}`);
    const params = new URLSearchParams({ grant_type: "client_credentials" });
    if (this.scope) params.set("scope", this.scope);
    let r;
    try {
      r = await this.fetch(this.tokenUrl, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
        body: params.toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      throw new Transient(`network: ${e instanceof Error ? e.name : "error"}`);
    }
    let body = null;
    try {
      body = await r.json();
    } catch { /* not JSON */ }
    if (r.status === 200 && body) return body;
    if (r.status === 429 || r.status >= 500) {
      throw new Transient(`http ${r.status}${body?.error ? ` ${body.error}` : ""}`);
    }
    throw new TokenError(body?.error ?? `http_${r.status}`, r.status, body?.error_description);
  }

  /** What console.log / JSON.stringify / util.inspect show: never the secret or the token. */
  toJSON() {
    return { tokenUrl: this.tokenUrl, clientId: this.clientId, scope: this.scope, hasToken: !!this.#current };
  }

  [Symbol.for("nodejs.util.inspect.custom")]() {
    return `TokenClient ${JSON.stringify(this.toJSON())}`;
  }

  [Symbol.for("Deno.customInspect")]() {
    return `TokenClient ${JSON.stringify(this.toJSON())}`;
  }
}
