// The in-isolate cache of the toxicity read API (layer 2 of three; docs/toxicity-api.md): answers to hot
// profiles, searches and lookup identifiers, in an LRU with a TTL (lru-cache), never shared between callers
// who may read different rows.
//
// Keys. Every entry is keyed by the caller's READ SET, what row-level security lets the caller read:
//   anon                       public rows only: shared by every anonymous caller
//   user:<sub>                 public rows and the user's teams' rows (membership is checked by the version)
//   svc:<client_id>:<scopes>   a service client: public rows and its team's, as its scopes allow
// so a team's private rows can only ever be served to the caller whose query read them.
//
// Freshness. Each entry carries the read-set version it was computed under (private.toxicity_read_version():
// a fingerprint of the counters of the public rows and of the caller's teams' rows, bumped by every statement
// that writes toxicity records, molecules or their identifiers, of the caller's team set, and of the last
// refresh of the summary view), read in the same transaction as the data, BEFORE it. An entry is served only
// while the isolate has confirmed that version with the database within the last `versionTtlMs` (every miss
// confirms it); after that the next request of that read set goes to the database, which refreshes the
// version. So a change (an import commit, a record written, a molecule made private, a user leaving a team)
// is served stale for at most versionTtlMs (default 5 s) by an isolate; `ttlMs` only bounds memory.
import { LRUCache } from "lru-cache";
import { Counter } from "prom-client";
import { createHash } from "node:crypto";
import type { Principal } from "../_shared/auth.ts";
import { registry } from "../_shared/metrics.ts";

/** Cache hits and misses by route (and the reason of a miss), in the shared registry /health/metrics serves. */
export const cacheMetrics = {
  hits: new Counter({
    name: "cryo_toxicity_cache_hits_total",
    help: "Toxicity API answers served from the in-isolate cache, by route",
    labelNames: ["route"],
    registers: [registry],
  }),
  misses: new Counter({
    name: "cryo_toxicity_cache_misses_total",
    help:
      "Toxicity API answers computed by the database, by route and reason (absent, stale: version not confirmed or changed, bypass: Cache-Control: no-cache, off)",
    labelNames: ["route", "reason"],
    registers: [registry],
  }),
};

export type CacheOptions = {
  /** Entries at most (0 turns the cache off). */
  max: number;
  /** Bytes of cached JSON at most. */
  maxBytes: number;
  /** Lifetime of an entry (memory bound; freshness is the version's job). */
  ttlMs: number;
  /** How long a read set's version, once confirmed by the database, is trusted: the staleness bound. */
  versionTtlMs: number;
};

/** Reads CRYO_TOXICITY_CACHE_{MAX,MAX_MB,TTL_S,VERSION_TTL_S}; throws on a bad value. */
export function cacheOptions(env: Record<string, string | undefined> = {}): CacheOptions {
  const num = (name: string, dflt: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number in ${min}..${max}`);
    return n;
  };
  return {
    max: num("CRYO_TOXICITY_CACHE_MAX", 5000, 0, 1_000_000),
    maxBytes: num("CRYO_TOXICITY_CACHE_MAX_MB", 64, 1, 4096) * 1024 * 1024,
    ttlMs: num("CRYO_TOXICITY_CACHE_TTL_S", 300, 1, 86400) * 1000,
    versionTtlMs: num("CRYO_TOXICITY_CACHE_VERSION_TTL_S", 5, 0, 300) * 1000,
  };
}

/** The caller's read set (see the module comment): the first part of every key. */
export function readSetOf(p: Principal): string {
  if (p.kind === "user") return `user:${String(p.claims.sub)}`;
  if (p.kind === "service") {
    const scopes = [...p.scopes].sort().join(" ");
    return `svc:${String(p.claims.client_id)}:${String(p.claims.team_id)}:${scopes}`;
  }
  return "anon";
}

type Entry = { version: string; body: string };

/** A strong ETag of `body` as served to `readSet` (two callers never share one). */
export function etagOf(readSet: string, body: string): string {
  return `"${createHash("sha256").update(readSet).update("\0").update(body).digest("base64url").slice(0, 27)}"`;
}

export class ToxicityCache {
  private entries: LRUCache<string, Entry> | undefined;
  private versions: LRUCache<string, { version: string; confirmedAt: number }>;

  constructor(readonly opts: CacheOptions, private now: () => number = () => performance.now()) {
    if (opts.max > 0) {
      this.entries = new LRUCache<string, Entry>({
        max: opts.max,
        maxSize: opts.maxBytes,
        sizeCalculation: (e, k) => e.body.length + k.length + 64,
        ttl: opts.ttlMs,
      });
    }
    this.versions = new LRUCache({ max: Math.max(1000, opts.max) });
  }

  get enabled(): boolean {
    return this.entries !== undefined;
  }

  /** The read set's version if the database confirmed it within versionTtlMs, else undefined. */
  confirmedVersion(readSet: string): string | undefined {
    const v = this.versions.get(readSet);
    if (!v || this.now() - v.confirmedAt > this.opts.versionTtlMs) return undefined;
    return v.version;
  }

  /** Records the version the database just answered for the read set (with the data of a miss). */
  confirm(readSet: string, version: string) {
    this.versions.set(readSet, { version, confirmedAt: this.now() });
  }

  /**
   * The cached JSON text of `key` for `readSet`, when its version is the confirmed one; counts the hit or the
   * miss for `route`. `bypass` (the request said Cache-Control: no-cache) always misses.
   */
  get(route: string, readSet: string, key: string, bypass = false): string | undefined {
    const miss = (reason: string) => (cacheMetrics.misses.inc({ route, reason }), undefined);
    if (!this.entries) return miss("off");
    if (bypass) return miss("bypass");
    const version = this.confirmedVersion(readSet);
    const e = this.entries.get(`${readSet}\n${key}`);
    if (!e) return miss("absent");
    if (version === undefined || e.version !== version) return miss("stale");
    cacheMetrics.hits.inc({ route });
    return e.body;
  }

  /** Stores the JSON text computed under `version` (the version read before the data, same transaction). */
  set(readSet: string, key: string, version: string, body: string) {
    this.entries?.set(`${readSet}\n${key}`, { version, body });
  }

  clear() {
    this.entries?.clear();
    this.versions.clear();
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }
}
