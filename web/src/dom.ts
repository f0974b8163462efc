// A few DOM helpers instead of a UI framework: the app is a handful of pages of forms and tables.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown> | null | undefined;

/**
 * h("button", { type: "button", onclick: fn, "aria-label": "x" }, "text", child, ...) → the element.
 * `on<event>` attributes become listeners, `class` sets className, `true` sets a boolean attribute, and
 * false/null/undefined attributes and children are left out. Strings are text (never parsed as HTML).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else if (k === "class") el.className = String(v);
    else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children (nested arrays flattened; false/null/undefined skipped; strings as text). */
export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces everything in `parent` with `children`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A number for people: up to `digits` significant digits, thousands separated; "—" for null. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  return Number(x.toPrecision(digits)).toLocaleString("en", { maximumFractionDigits: 10 });
}

/** A status line (role=status) for progress and results counts. */
export function status(text: string): HTMLParagraphElement {
  return h("p", { role: "status", class: "status" }, text);
}

/** Debounces `fn` by `ms` (only the last call in a burst runs). */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return (...a: A) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

/** Makes the browser save `content` as a file called `filename`. */
export function download(filename: string, content: Blob): void {
  const url = URL.createObjectURL(content);
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
