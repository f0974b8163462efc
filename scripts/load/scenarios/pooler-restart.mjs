// pooler-restart: pgbouncer stopped (SIGTERM) at 5 s and started at 7 s under 16 pinging connections.
import { faultRun, pieces } from "../faults.mjs";
import { metricsDelta, scrape } from "../metrics.mjs";

export const description = "pgbouncer stopped (SIGTERM) at 5 s, started at 7 s, under load";

export default async function poolerRestart({ c, urls }) {
  const { stopPooler, startPooler } = pieces(c);
  const before = await scrape(c);
  const r = await faultRun({
    url: urls.ping,
    name: "pgbouncer stopped (SIGTERM) at 5 s, started at 7 s",
    down: stopPooler,
    up: startPooler,
    upAt: 7000,
  });
  return { ...r, server: metricsDelta(before, await scrape(c)) };
}
