// slow-queries: a few clients hold pooled connections 500 ms per request (bench/slow) while others ping.
import { load, summarize } from "../http.mjs";
import { metricsDelta, scrape } from "../metrics.mjs";

export const description = "3 clients holding a connection 500 ms per request while 16 clients ping";

export default async function slowQueries({ c, duration, urls }) {
  const before = await scrape(c);
  const [slow, ping] = await Promise.all([
    load({ url: urls.slow(500), connections: 3, duration }),
    load({ url: urls.ping, connections: 16, duration }),
  ]);
  return {
    note: "3 clients holding a connection 500 ms per request (of CRYO_DB_POOL_MAX slots) while 16 clients ping",
    slow: summarize(slow),
    ping: summarize(ping),
    server: metricsDelta(before, await scrape(c)),
  };
}
