// Vega-Lite specs from the API, drawn with vega-embed as SVG. The chart libraries are imported on first use,
// so the first page load stays small (they are most of the app's weight).
import { h } from "./dom.ts";

let firstChartMarked = false;

/**
 * Draws `spec` (Vega-Lite) into `el` as SVG, with `title` as the figure's accessible name. The first chart drawn
 * in the page sets the performance mark "first-chart" (time to first chart: docs/web-app.md).
 */
export async function drawChart(el: HTMLElement, spec: unknown, title: string): Promise<void> {
  const { default: embed } = await import("vega-embed");
  el.setAttribute("role", "figure");
  el.setAttribute("aria-label", title);
  // width "container" specs need a sized parent; the API's specs may name their own size.
  await embed(el, spec as never, { actions: false, renderer: "svg" });
  if (!firstChartMarked) {
    firstChartMarked = true;
    performance.mark("first-chart");
  }
}

/** A figure placeholder: heading, chart area, caption. */
export function chartFigure(title: string, caption?: string): { figure: HTMLElement; area: HTMLElement } {
  const area = h("div", { class: "chart-area" });
  const figure = h(
    "figure",
    { class: "chart" },
    h("figcaption", null, h("strong", null, title), caption ? ` — ${caption}` : null),
    area,
  );
  return { figure, area };
}
