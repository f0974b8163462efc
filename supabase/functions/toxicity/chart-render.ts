// Server-side SVG of a Vega-Lite spec: vega-lite compiles it, vega's View renders it headless
// (renderer "none" + toSVG(): no canvas, no DOM). Both packages are imported on the first SVG request only, so
// JSON-only isolates never pay their load (measured in docs/mixture-estimate.md, "Charts").
// Safety: the spec's data is inline and the loader refuses every URL, so rendering fetches nothing; vega's SVG
// renderer escapes text (names from the database); and the output is checked for anything active (script,
// event handlers, javascript: URLs, foreign objects) before it is served.
import type { VegaLiteSpec } from "./chart-spec.ts";

// deno-lint-ignore no-explicit-any
type Mod = any;
let modules: Promise<{ vega: Mod; vl: Mod }> | undefined;

/** vega and vega-lite, loaded once per isolate. */
export function chartModules(): Promise<{ vega: Mod; vl: Mod }> {
  modules ??= Promise.all([import("vega"), import("vega-lite")]).then(([vega, vl]) => ({ vega, vl }));
  return modules;
}

/** A loader that loads nothing: every spec is inline; a URL in one would be a bug or an attack. */
const noLoader = {
  load: () => Promise.reject(new Error("charts load no external data")),
  sanitize: () => Promise.reject(new Error("charts load no external data")),
  http: () => Promise.reject(new Error("charts load no external data")),
  file: () => Promise.reject(new Error("charts load no external data")),
};

const ACTIVE = /<script|<foreignObject|\son[a-z]+\s*=|javascript:|<iframe|<object|<embed/i;

/** The SVG document of `spec`. Throws when the output would contain anything active (never expected). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vl } = await chartModules();
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", loader: noLoader });
  try {
    const svg: string = await view.toSVG();
    if (!svg.startsWith("<svg") || ACTIVE.test(svg)) throw new Error("rendered SVG failed the safety check");
    return svg;
  } finally {
    view.finalize();
  }
}
