// The functions server's own view of a phase: the difference between two scrapes of GET /health/metrics
// (Prometheus text): pool acquisitions and their time, database errors by class, retries, shed requests,
// breaker transitions.

// /health/metrics needs a service token with metrics:read: one client per run, one token (15 min) per scrape.
let metricsClient;
async function metricsToken(c) {
  if (!metricsClient) {
    const { run } = await import("../service-client.mjs");
    metricsClient = await run(["create", "--team", "Alpha", "--name", "load-metrics", "--scope", "metrics:read"], c);
  }
  const r = await fetch(`${c.functionsUrl}/service-token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: metricsClient.client_id,
      client_secret: metricsClient.client_secret,
    }),
  });
  return (await r.json()).access_token;
}

/** scrape(c) → { "<metric>{labels}": number } from the functions of stack `c` (with a metrics:read token). */
export async function scrape(c) {
  const headers = { authorization: `Bearer ${await metricsToken(c)}` };
  const text = await (await fetch(`${c.functionsUrl}/health/metrics`, { headers })).text();
  const m = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const [k, v] = line.split(/ (?=[^ ]+$)/);
    m[k] = Number(v);
  }
  return m;
}

/** Quantile of the acquisition histogram between two scrapes (linear within a bucket), in ms. */
function acquireQuantile(before, after, q) {
  const re = /^cryo_db_acquire_seconds_bucket\{le="([^"]+)"\}$/;
  const buckets = Object.keys(after).filter((k) => re.test(k))
    .map((k) => ({ le: k.match(re)[1] === "+Inf" ? Infinity : Number(k.match(re)[1]), n: after[k] - (before[k] ?? 0) }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.n ?? 0;
  if (!total) return null;
  let prevLe = 0, prevN = 0;
  for (const b of buckets) {
    if (b.n >= q * total) {
      if (b.le === Infinity) return `>${prevLe * 1000}`;
      const frac = b.n === prevN ? 1 : (q * total - prevN) / (b.n - prevN);
      return Math.round((prevLe + frac * (b.le - prevLe)) * 1e6) / 1000;
    }
    prevLe = b.le;
    prevN = b.n;
  }
  return null;
}

export function metricsDelta(before, after) {
  const d = (k) => (after[k] ?? 0) - (before[k] ?? 0);
  const sum = d("cryo_db_acquire_seconds_sum"), count = d("cryo_db_acquire_seconds_count");
  // Increases of a counter between the scrapes, by the value of its one label.
  const byLabel = (name, label) => {
    const re = new RegExp(`^${name}\\{${label}="([^"]+)"\\}$`);
    const out = {};
    for (const k of Object.keys(after)) {
      const m = k.match(re);
      if (m && d(k)) out[m[1]] = d(k);
    }
    return out;
  };
  const errors = byLabel("cryo_db_errors_total", "class");
  const transitions = byLabel("cryo_db_breaker_transitions_total", "to");
  return {
    acquisitions: count,
    acquire_ms: {
      mean: count ? Math.round((sum / count) * 1e6) / 1000 : null,
      p50: acquireQuantile(before, after, 0.5),
      p99: acquireQuantile(before, after, 0.99),
    },
    db_errors_by_class: errors,
    retries: d("cryo_db_retries_total"),
    shed: d("cryo_db_shed_total"),
    breaker_transitions: transitions,
  };
}
