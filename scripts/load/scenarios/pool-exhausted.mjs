// pool-exhausted: far more clients holding connections (bench/slow, 2 s each) than the pool and its queue
// take, while a few clients ping: the module must shed with 503s fast, not hang.
import { load, summarize } from "../http.mjs";
import { metricsDelta, scrape } from "../metrics.mjs";

export const description = "100 clients each holding a connection 2 s + 8 clients pinging";

export default async function poolExhausted({ c, duration, urls }) {
  const before = await scrape(c);
  const [slow, ping] = await Promise.all([
    load({ url: urls.slow(2000), connections: 100, duration }),
    load({ url: urls.ping, connections: 8, duration }),
  ]);
  return {
    note:
      "100 clients each holding a connection 2 s (pool of CRYO_DB_POOL_MAX slots, bounded queue) + 8 clients pinging",
    slow: summarize(slow),
    ping: summarize(ping),
    server: metricsDelta(before, await scrape(c)),
  };
}
