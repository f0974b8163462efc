// burst: ten times as many connections as pgbouncer's pool has server connections, all pinging.
import { load, summarize } from "../http.mjs";
import { metricsDelta, scrape } from "../metrics.mjs";

export const description = "10 x pgbouncer default_pool_size connections on /health/ping";

export default async function burst({ c, duration, urls, poolerPoolSize }) {
  const connections = 10 * poolerPoolSize;
  await load({ url: urls.ping, connections: 16, duration: 2 });
  const before = await scrape(c);
  const r = await load({ url: urls.ping, connections, duration });
  return {
    connections,
    note: `10 x pgbouncer default_pool_size (${poolerPoolSize})`,
    ...summarize(r),
    server: metricsDelta(before, await scrape(c)),
  };
}
