// Fault runs: HTTP load on /health/ping while a piece of the stack is stopped and started again, cut into
// windows (before the fault, the outage) and measured for fail-fast latency and recovery time.
import { asPostgresAsync, readPid, sleep } from "../lib/proc.mjs";
import { pgCtl } from "../lib/postgres.mjs";
import { latencyStats } from "./latency.mjs";
import { load, summarize, summarizeSamples } from "./http.mjs";

/**
 * Stopping and starting stack `c`'s pieces, asynchronously, so the load generator in this process keeps
 * reading responses while a piece restarts.
 */
export const pieces = (c) => ({
  stopPostgres: () => asPostgresAsync(pgCtl.bin, pgCtl.stop(c)),
  startPostgres: () => asPostgresAsync(pgCtl.bin, pgCtl.start(c)),
  stopPooler: () => Promise.resolve(process.kill(readPid(c.pgbouncerPid), "SIGTERM")),
  startPooler: () => asPostgresAsync("pgbouncer", ["-d", c.pgbouncerIni]),
});

/** Time from `since` (ms into the run) to the first 200 after which every response is a 200 for 1 s. */
export function recoveryMs(samples, since) {
  const after = samples.filter((s) => s.t >= since).sort((a, b) => a.t - b.t);
  for (let i = 0; i < after.length; i++) {
    if (after[i].status !== 200) continue;
    const window = after.filter((s) => s.t >= after[i].t && s.t <= after[i].t + 1000);
    if (window.every((s) => s.status === 200) && after.at(-1).t > after[i].t + 1000) {
      return Math.round(after[i].t - since);
    }
  }
  return null;
}

/**
 * faultRun({ url, name, down, up, connections, seconds, downAt, upAt }) → the run's summaries: `overall`
 * (autocannon's own), `before_fault` and `during_outage` (responses that began after the fault took effect and
 * ended before the restart began), the 503s' fail-fast latency, and the recovery time after the restart.
 * Times in ms into the run.
 */
export async function faultRun({ url, name, down, up, connections = 16, seconds = 20, downAt = 5000, upAt = 8000 }) {
  const ev = {};
  const t0 = performance.now();
  const at = () => performance.now() - t0;
  const faults = (async () => {
    await sleep(downAt);
    ev.down = at();
    await down();
    ev.down_done = at();
    await sleep(Math.max(0, upAt - at()));
    ev.up = at();
    await up();
    ev.up_done = at(); // the piece accepts connections again: recovery is measured from here
  })();
  const r = await load({ url, connections, duration: seconds, timeline: true });
  await faults;
  // load() measures from its own start, a few ms after t0: close enough at this scale.
  const s = r.samples;
  const outage = s.filter((x) => x.t - x.ms >= ev.down_done + 200 && x.t <= ev.up);
  return {
    name,
    events_ms: Object.fromEntries(Object.entries(ev).map(([k, v]) => [k, Math.round(v)])),
    overall: summarize(r),
    before_fault: summarizeSamples(s.filter((x) => x.t < ev.down), ev.down / 1000),
    during_outage: summarizeSamples(outage, Math.max(0.001, (ev.up - ev.down_done - 200) / 1000)),
    fail_fast_ms: latencyStats(outage.filter((x) => x.status === 503).map((x) => x.ms)),
    recovery_ms_after_restart: recoveryMs(s, ev.up_done),
  };
}
