// pg-restart: Postgres stopped (fast) at 5 s and started at 8 s under 16 pinging connections.
import { faultRun, pieces } from "../faults.mjs";
import { metricsDelta, scrape } from "../metrics.mjs";

export const description = "Postgres stopped (fast) at 5 s, started at 8 s, under load";

export default async function pgRestart({ c, urls }) {
  const { stopPostgres, startPostgres } = pieces(c);
  const before = await scrape(c);
  const r = await faultRun({
    url: urls.ping,
    name: "Postgres stopped (fast) at 5 s, started at 8 s",
    down: stopPostgres,
    up: startPostgres,
  });
  return { ...r, server: metricsDelta(before, await scrape(c)) };
}
