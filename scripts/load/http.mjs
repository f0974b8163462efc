// HTTP load with autocannon against the running stack. Every summary's numbers are autocannon's own: request
// counts by status (statusCodeStats) and latency percentiles (result.latency, its HDR histogram).
import autocannon from "autocannon";
import { latencyStats } from "./latency.mjs";

let identities = 0;

/** The n-th client address of a load run, from the benchmarking range 198.18.0.0/15 (RFC 2544): a header value only. */
const syntheticAddress = (n) => `198.18.${Math.floor(n / 250) % 256}.${1 + (n % 250)}`;

/**
 * load({ url, connections, duration, timeline }) → Promise<{ result, samples, reqErrors, seconds }>
 * Runs autocannon for `duration` seconds. Each connection is its own caller (an x-forwarded-for address of its
 * own, as the platform's gateway would forward many browsers'): the functions' per-caller rate limit
 * (CRYO_RATE_LIMIT_*) then limits no connection,
 * and the scenarios keep measuring the pool and the pooler, the limiter's own cost included. `timeline`: also
 * keep every response as { t (ms into the run), status, ms } (the fault scenarios cut the run into windows).
 */
export function load({ url, connections, duration, timeline = false }) {
  return new Promise((resolve, reject) => {
    const samples = [];
    const t0 = performance.now();
    let reqErrors = 0;
    const setupClient = (client) => client.setHeaders({ "x-forwarded-for": syntheticAddress(identities++) });
    const inst = autocannon({ url, connections, duration, timeout: 15, pipelining: 1, setupClient }, (err, result) => {
      if (err) return reject(err);
      resolve({ result, samples, reqErrors, seconds: (performance.now() - t0) / 1000 });
    });
    if (timeline) {
      inst.on("response", (_client, status, _bytes, ms) => samples.push({ t: performance.now() - t0, status, ms }));
    }
    inst.on("reqError", () => reqErrors++);
  });
}

/**
 * summarize(run) → { requests, throughput_rps, ok_rps, latency_ms: { p50, p90, p99, max, mean }, by_status,
 * error_rate, request_errors } from autocannon's result (latency over every response, whatever its status).
 */
export function summarize({ result, reqErrors }) {
  const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count]));
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const ok = byStatus[200] ?? 0;
  const l = result.latency;
  return {
    requests: total,
    throughput_rps: Math.round(total / result.duration),
    ok_rps: Math.round(ok / result.duration),
    latency_ms: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, mean: l.mean },
    by_status: byStatus,
    error_rate: total ? Math.round(((total - ok) / total) * 10000) / 10000 : 0,
    request_errors: reqErrors,
  };
}

/** The same shape for a window of a timeline run (`samples` of load({ timeline: true })) lasting `seconds`. */
export function summarizeSamples(samples, seconds) {
  const byStatus = {};
  for (const s of samples) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
  const ok = byStatus[200] ?? 0;
  const l = latencyStats(samples.map((s) => s.ms));
  return {
    requests: samples.length,
    throughput_rps: Math.round(samples.length / seconds),
    ok_rps: Math.round(ok / seconds),
    latency_ms: l && { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, mean: l.mean },
    by_status: byStatus,
    error_rate: samples.length ? Math.round(((samples.length - ok) / samples.length) * 10000) / 10000 : 0,
  };
}
