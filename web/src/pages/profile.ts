// A molecule's profile: identity and identifiers, the summary, the records (sortable, keyset-paged through
// the API's cursor), the sources, and the chart (GET /toxicity/molecules/{ref}/chart, a Vega-Lite spec).
import { call } from "../api.ts";
import { chartFigure, drawChart } from "../chart.ts";
import { h, replace, status } from "../dom.ts";
import { errorBox } from "../errors.ts";
import { cell, type Json, label, type Profile, type ToxRecord } from "../models.ts";
import type { PageContext } from "../router.ts";

const PAGE_SIZE = 25;

/** The records table's columns: header, how to read the cell, and how to sort it. */
const COLUMNS: { key: string; header: string; get: (r: ToxRecord) => string | number | null; numeric?: boolean }[] = [
  { key: "value_type", header: "Value type", get: (r) => r.value_type ?? r.endpoint ?? null },
  { key: "qualifier", header: "Qualifier", get: (r) => r.qualifier ?? null },
  { key: "value", header: "Value", get: (r) => r.value ?? null, numeric: true },
  { key: "unit", header: "Unit", get: (r) => r.unit ?? null },
  { key: "species", header: "Species", get: (r) => r.species ?? null },
  { key: "route", header: "Route", get: (r) => r.route ?? null },
  { key: "assay", header: "Assay / endpoint", get: (r) => r.assay ?? (r.value_type ? r.endpoint ?? null : null) },
  { key: "source", header: "Source", get: (r) => r.source ?? null },
];

/** A definition list of `obj`'s shown fields: scalars and non-empty arrays of scalars; nested objects are left out. */
function dl(obj: Json | null | undefined, skip: string[] = []): HTMLElement | null {
  const scalar = (v: unknown) => v !== null && v !== undefined && v !== "" && typeof v !== "object";
  const shown = (v: unknown) => (Array.isArray(v) ? v.length > 0 && v.every(scalar) : scalar(v));
  const entries = Object.entries(obj ?? {}).filter(([k, v]) => !skip.includes(k) && shown(v));
  if (!entries.length) return null;
  return h("dl", { class: "facts" }, entries.map(([k, v]) => [h("dt", null, label(k)), h("dd", null, cell(v))]));
}

/** A small table of an array of flat objects (e.g. the summary's LD50s by species and route), titled `title`. */
function miniTable(title: string, rows: Json[]): HTMLElement {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return h(
    "div",
    { class: "table-scroll", tabindex: "0", role: "region", "aria-label": title },
    h(
      "table",
      { class: "mini" },
      h("caption", null, title),
      h("thead", null, h("tr", null, keys.map((k) => h("th", { scope: "col" }, label(k))))),
      h("tbody", null, rows.map((r) => h("tr", null, keys.map((k) => h("td", { class: typeof r[k] === "number" ? "num" : undefined }, cell(r[k])))))),
    ),
  );
}

/** The summary: its scalar facts, then each list of records (LD50s, hit calls) as a table. */
function summaryView(summary: Json | Json[]): HTMLElement[] {
  const parts = Array.isArray(summary) ? summary : [summary];
  return parts.flatMap((s) => {
    const lists = Object.entries(s).filter(([, v]) => Array.isArray(v) && v.length && v.every((x) => x && typeof x === "object"));
    return [dl(s), ...lists.map(([k, v]) => miniTable(label(k), v as Json[]))].filter((x): x is HTMLElement => x !== null);
  });
}

function recordsTable(records: ToxRecord[]): HTMLElement {
  let sortKey: string | null = null;
  let dir: 1 | -1 = 1;
  const table = h("table", { class: "records" });
  const caption = h("caption", null, "Toxicity records (select a column heading to sort this page)");

  const draw = () => {
    const rows = [...records];
    if (sortKey) {
      const col = COLUMNS.find((c) => c.key === sortKey)!;
      rows.sort((a, b) => {
        const x = col.get(a);
        const y = col.get(b);
        if (x === null) return 1;
        if (y === null) return -1;
        return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * dir;
      });
    }
    const head = h(
      "tr",
      null,
      COLUMNS.map((c) =>
        h(
          "th",
          { scope: "col", "aria-sort": sortKey === c.key ? (dir === 1 ? "ascending" : "descending") : undefined },
          h("button", {
            type: "button",
            class: "sort",
            onclick: () => {
              if (sortKey === c.key) dir = dir === 1 ? -1 : 1;
              else (sortKey = c.key, dir = 1);
              draw();
              (table.querySelector(`th:nth-child(${COLUMNS.indexOf(c) + 1}) button`) as HTMLButtonElement).focus();
            },
          }, c.header, h("span", { "aria-hidden": "true", class: "arrow" }, sortKey === c.key ? (dir === 1 ? " ▲" : " ▼") : "")),
        )
      ),
    );
    const body = rows.map((r) =>
      h(
        "tr",
        null,
        COLUMNS.map((c) => {
          const v = c.get(r);
          const text = c.key === "value" && v === null ? cell(r.value_text) : cell(v);
          return h("td", { class: c.numeric ? "num" : undefined, title: c.key === "source" && r.citation ? String(r.citation) : undefined }, text);
        }),
      )
    );
    replace(table, caption, h("thead", null, head), h("tbody", null, body));
  };
  draw();
  return h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Toxicity records" }, table);
}

export async function profilePage(el: HTMLElement, ctx: PageContext, ref: string) {
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const cursor = params.get("cursor");
  const prev = params.getAll("prev");
  el.append(h("h1", { tabindex: "-1" }, ref), status("Loading the profile…"));
  const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) q.set("cursor", cursor);
  const p = await call<Profile>(`molecules/${encodeURIComponent(ref)}?${q}`);
  if (!ctx.isCurrent()) return;
  const m = p.molecule;
  document.title = `${m.name} · CryoProtect`;

  const pageLink = (c: string | null, back: string[]) => {
    const qs = new URLSearchParams();
    if (c) qs.set("cursor", c);
    for (const b of back) qs.append("prev", b);
    return `#/molecules/${encodeURIComponent(ref)}${qs.size ? `?${qs}` : ""}`;
  };
  const paging = h(
    "nav",
    { class: "pager", "aria-label": "Record pages" },
    cursor ? h("a", { href: pageLink(prev.at(-1) || null, prev.slice(0, -1)) }, "← Previous page") : null,
    p.next_cursor ? h("a", { href: pageLink(p.next_cursor, [...prev, cursor ?? ""]) }, "Next page →") : null,
  );

  const chart = chartFigure("Toxicity chart", "LD50s on a log scale with their qualifiers, among other CPAs; assay hit calls by endpoint");
  const summary = p.summary ? summaryView(p.summary) : [];

  replace(
    el,
    h("h1", { tabindex: "-1" }, m.name),
    h(
      "section",
      { "aria-labelledby": "identity-h", class: "card" },
      h("h2", { id: "identity-h" }, "Identity"),
      dl(m, ["id", "name"]),
      p.identifiers ? dl(p.identifiers) : null,
    ),
    h(
      "section",
      { "aria-labelledby": "summary-h", class: "card" },
      h("h2", { id: "summary-h" }, "Summary"),
      summary.length ? summary : h("p", null, "No summary: no toxicity record is known for this molecule."),
    ),
    h("section", { "aria-labelledby": "chart-h", class: "card" }, h("h2", { id: "chart-h" }, "Chart"), chart.figure),
    h(
      "section",
      { "aria-labelledby": "records-h", class: "card wide" },
      h("h2", { id: "records-h" }, "Records"),
      p.records.length ? [status(`${p.records.length} record${p.records.length === 1 ? "" : "s"} on this page.`), recordsTable(p.records), paging] : h("p", null, "No toxicity records you can see."),
    ),
    p.sources?.length
      ? h(
        "section",
        { "aria-labelledby": "sources-h", class: "card wide" },
        h("h2", { id: "sources-h" }, "Sources"),
        h("ul", { class: "sources" }, p.sources.map((s) => h("li", null, cell(s.name ?? s.source ?? s.id), s.citation ? h("span", { class: "citation" }, ` — ${cell(s.citation)}`) : null))),
      )
      : null,
  );

  try {
    const spec = await call<unknown>(`molecules/${encodeURIComponent(ref)}/chart`);
    if (ctx.isCurrent()) await drawChart(chart.area, spec, `Toxicity chart of ${m.name}`);
  } catch (e) {
    if (ctx.isCurrent()) replace(chart.area, errorBox(e, "The chart could not be drawn"));
  }
}
