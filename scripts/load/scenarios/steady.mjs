// steady: throughput and latency without faults. A warm phase at 4 clients (as many as the module's pool
// slots: acquisition without queueing), then at 16 and 64 connections side by side in one run: the
// one-round-trip path (/health/ping), the pipelined path (bench/ping-pipelined), HTTP without the database
// (a 404 from the same function: routing and JSON only), and pgbench through the same pgbouncer.
import { cpuDelta, cpuSnapshot } from "../cpu.mjs";
import { load, summarize } from "../http.mjs";
import { metricsDelta, scrape } from "../metrics.mjs";
import { pgbench, PING_TX, PING_TX_PIPELINED, SELECT1 } from "../pgbench.mjs";

export const description =
  "c=4 warm, then c=16 and c=64: /health/ping, bench/ping-pipelined, HTTP without database, pgbench";

const ratio = (a, b) => Math.round((a / b) * 1000) / 1000;

export default async function steady({ c, secrets, duration, urls }) {
  await load({ url: urls.ping, connections: 4, duration: Math.min(3, duration) });
  const b4 = await scrape(c);
  const r4 = await load({ url: urls.ping, connections: 4, duration: Math.min(duration, 10) });
  const warm = {
    name: "http c=4 (= pool slots)",
    connections: 4,
    ...summarize(r4),
    server: metricsDelta(b4, await scrape(c)),
  };

  const http = async (name, url, connections) => {
    await load({ url, connections, duration: Math.min(3, duration) }); // warm-up: connections open, JIT done
    const before = await scrape(c);
    const cpu0 = cpuSnapshot(c);
    const r = await load({ url, connections, duration });
    const s = summarize(r);
    const cpu = cpuDelta(cpu0, cpuSnapshot(c), s.requests);
    return { name: `${name}, c=${connections}`, connections, ...s, server: metricsDelta(before, await scrape(c)), cpu };
  };
  const bench = async (name, clients, script) => ({
    name: `${name}, c=${clients}`,
    ...(await pgbench({ c, secrets, clients, seconds: duration, script })),
  });

  const out = { phases: [warm] };
  const headline = {
    acquire_ms_p50_warm_c4: warm.server.acquire_ms.p50,
    acquire_ms_p99_warm_c4: warm.server.acquire_ms.p99,
  };
  for (const n of [16, 64]) {
    const h = await http("http /health/ping (one round trip)", urls.ping, n);
    const hp = await http("http bench/ping-pipelined (extended protocol)", urls.pingPipelined, n);
    const h0 = await http("http without database (404 of the same function)", urls.withoutDatabase, n);
    const pb = await bench("pgbench select 1", n, SELECT1);
    const pt = await bench("pgbench ping transaction as one simple query", n, PING_TX);
    const pp = await bench("pgbench ping transaction, statement by statement", n, PING_TX_PIPELINED);
    out.phases.push(h, hp, h0, pb, pt, pp);
    Object.assign(headline, {
      [`http_rps_c${n}`]: h.ok_rps,
      [`http_pipelined_rps_c${n}`]: hp.ok_rps,
      [`http_without_db_rps_c${n}`]: h0.throughput_rps,
      [`pgbench_select1_tps_c${n}`]: pb.tps,
      [`ratio_http_vs_pgbench_select1_c${n}`]: ratio(h.ok_rps, pb.tps),
      [`ratio_http_pipelined_vs_pgbench_select1_c${n}`]: ratio(hp.ok_rps, pb.tps),
      [`ratio_http_vs_pgbench_same_transaction_c${n}`]: ratio(h.ok_rps, pt.tps),
      [`ratio_http_without_db_vs_pgbench_select1_c${n}`]: ratio(h0.throughput_rps, pb.tps),
      [`deno_cpu_us_per_request_c${n}`]: h.cpu.deno.us_per_request,
      [`deno_cpu_us_per_request_pipelined_c${n}`]: hp.cpu.deno.us_per_request,
      [`deno_cpu_us_per_request_without_db_c${n}`]: h0.cpu.deno.us_per_request,
      ...(n === 64 ? { p99_ms_c64: h.latency_ms.p99 } : {}),
    });
  }
  out.headline = headline;
  return out;
}
