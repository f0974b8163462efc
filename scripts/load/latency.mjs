// Latency percentiles the way autocannon computes its own (an HDR histogram, hdr-histogram-js, read with
// hdr-histogram-percentiles-obj): for the parts of a run autocannon does not summarise by itself (the
// seconds before a fault, the outage, the 503s only) and for the RLS benchmark's query timings.
import hdr from "hdr-histogram-js";
import { addPercentiles, histAsObj } from "hdr-histogram-percentiles-obj";

/**
 * latencyStats(values, { unit }) → { n, mean, p50, p90, p99, max } | null (no values)
 * `values` in ms; recorded at the resolution `unit` (ms by default: as autocannon, 1 ms; 0.001 for µs) and
 * returned in ms, rounded to that resolution.
 */
export function latencyStats(values, { unit = 1 } = {}) {
  if (!values.length) return null;
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10000 / unit,
    numberOfSignificantValueDigits: 5,
    autoResize: true,
  });
  for (const v of values) h.recordValue(Math.max(1, Math.round(v / unit)));
  const s = addPercentiles(h, histAsObj(h, values.length));
  const ms = (x) => Math.round(x * unit * 1000) / 1000;
  return { n: values.length, mean: ms(s.mean), p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), max: ms(s.max) };
}
