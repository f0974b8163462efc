// The cost of the chart routes' server-side SVG (supabase/functions/toxicity/chart-render.ts), for
// docs/mixture-estimate.md: in a fresh Deno process, the load of vega + vega-lite (the cold start an isolate pays
// on its first SVG request), the first render, then warm renders of a molecule chart (60 LD50 points, 6
// endpoints) and a mixture chart (8 components). CPU from process.cpuUsage (user + system, this process).
// No database. Run: deno run -A --config deno.json --v8-flags=--expose-gc scripts/chart-figures.ts [renders=30]
import process from "node:process";
import { chartModules, renderSvg } from "../supabase/functions/toxicity/chart-render.ts";
import { mixtureChartSpec, moleculeChartSpec } from "../supabase/functions/toxicity/chart-spec.ts";

const N = Number(Deno.args[0] ?? 30);
const cpuMs = (f: () => Promise<unknown>) => async () => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 };
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

const qualifiers = ["=", ">", "~", "<", "="];
const molecule = moleculeChartSpec(
  "dimethyl sulfoxide",
  Array.from({ length: 60 }, (_, i) => ({
    molecule: i < 10 ? "dimethyl sulfoxide" : `CPA ${i % 25}`,
    this_molecule: i < 10,
    value: 500 + 450 * i,
    qualifier: qualifiers[i % qualifiers.length],
    species: "rat",
    route: "oral",
    source: "figures",
    skeleton_match: false,
  })),
  ["cytotoxicity", "genotoxicity", "stress_response", "bioactivity", "nuclear_receptor_activity", "other"].map(
    (endpoint, i) => ({ endpoint, tested: 10 + i, active: i }),
  ),
);
const mixture = mixtureChartSpec(
  "M22",
  ["DMSO", "formamide", "ethylene glycol", "NMF", "3-MPD", "PVP K12", "X-1000", "Z-1000"].map((component, i) => ({
    component,
    percent_w_w: 20 - 2 * i,
    share: i < 3 ? 0.3 : null,
    status: i < 3 ? "known" : "unknown",
    used: "rat oral",
  })),
  "ATE_mix (estimate) = 15516 mg/kg; GHS: not classified",
);

const gc = (globalThis as { gc?: () => void }).gc;
const before = Deno.memoryUsage();
const load = await cpuMs(() => chartModules())();
const afterLoad = Deno.memoryUsage();
const first = await cpuMs(() => renderSvg(molecule))();
const warm = { molecule: [] as number[], mixture: [] as number[] };
for (let i = 0; i < N; i++) {
  warm.molecule.push((await cpuMs(() => renderSvg(molecule))()).cpu);
  warm.mixture.push((await cpuMs(() => renderSvg(mixture))()).cpu);
}
gc?.();
const mem = Deno.memoryUsage();
console.log(JSON.stringify(
  {
    deno: Deno.version.deno,
    load_vega_and_vega_lite: { cpu_ms: Math.round(load.cpu), wall_ms: Math.round(load.wall) },
    first_render_molecule: { cpu_ms: Math.round(first.cpu), wall_ms: Math.round(first.wall) },
    warm_renders: N,
    molecule_cpu_ms: { median: +median(warm.molecule).toFixed(1), p95: +p95(warm.molecule).toFixed(1) },
    mixture_cpu_ms: { median: +median(warm.mixture).toFixed(1), p95: +p95(warm.mixture).toFixed(1) },
    svg_bytes: { molecule: (await renderSvg(molecule)).length, mixture: (await renderSvg(mixture)).length },
    rss_mb: {
      before_load: Math.round(before.rss / 2 ** 20),
      after_load: Math.round(afterLoad.rss / 2 ** 20),
      after_renders: Math.round(mem.rss / 2 ** 20),
    },
    heap_used_mb: { before_load: Math.round(before.heapUsed / 2 ** 20), after: Math.round(mem.heapUsed / 2 ** 20) },
    gc_before_measure: !!gc,
  },
  null,
  1,
));
