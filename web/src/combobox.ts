// An input with suggestions (the WAI-ARIA 1.2 combobox pattern): type to get suggestions, arrows to move,
// Enter to choose, Escape to close; the list is announced through aria-expanded / aria-activedescendant.
import { debounce, h } from "./dom.ts";

export interface Suggestion {
  /** What the choice stands for (a molecule id, InChIKey, ...). */
  ref: string;
  label: string;
  detail?: string;
}

let seq = 0;

export interface Combobox {
  /** The labelled wrapper to put in a form. */
  element: HTMLElement;
  input: HTMLInputElement;
  /** The suggestion chosen since the text last changed, if any. */
  chosen(): Suggestion | null;
}

/**
 * combobox({ label, name, fetch, onChoose, ... }): `fetch(q)` is called (debounced 150 ms) for 1+ characters;
 * its failures show as "Suggestions are unavailable" and never block typing.
 */
export function combobox(opts: {
  label: string;
  name: string;
  placeholder?: string;
  value?: string;
  required?: boolean;
  fetch: (q: string) => Promise<Suggestion[]>;
  onChoose?: (s: Suggestion) => void;
  hint?: string;
}): Combobox {
  const id = `cb${++seq}`;
  const input = h("input", {
    id,
    name: opts.name,
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": `${id}-list`,
    placeholder: opts.placeholder,
    value: opts.value,
    required: opts.required,
    "aria-describedby": opts.hint ? `${id}-hint` : undefined,
  });
  const list = h("ul", {
    id: `${id}-list`,
    role: "listbox",
    class: "suggestions",
    hidden: true,
    "aria-label": `${opts.label} suggestions`,
  });
  const note = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  let items: Suggestion[] = [];
  let active = -1;
  let chosen: Suggestion | null = null;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (i: number) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) input.setAttribute("aria-activedescendant", `${id}-opt${i}`);
    else input.removeAttribute("aria-activedescendant");
  };
  const choose = (s: Suggestion) => {
    chosen = s;
    input.value = s.label;
    close();
    opts.onChoose?.(s);
  };
  const show = (found: Suggestion[]) => {
    items = found;
    list.replaceChildren(
      ...found.map((s, i) =>
        h(
          "li",
          {
            id: `${id}-opt${i}`,
            role: "option",
            "aria-selected": "false",
            // mousedown, not click: the input's blur would close the list first
            onmousedown: (ev: Event) => (ev.preventDefault(), choose(s)),
          },
          h("span", { class: "s-label" }, s.label),
          s.detail ? h("span", { class: "s-detail" }, s.detail) : null,
        )
      ),
    );
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", String(found.length > 0));
    note.textContent = found.length ? `${found.length} suggestions` : "No suggestions";
    active = -1;
  };
  const lookup = debounce(async (q: string) => {
    const mine = ++asked;
    try {
      const found = await opts.fetch(q);
      if (mine === asked && input.value.trim() === q) show(found.slice(0, 10));
    } catch {
      if (mine === asked) {
        show([]);
        note.textContent = "Suggestions are unavailable just now";
      }
    }
  }, 150);

  input.addEventListener("input", () => {
    chosen = null;
    const q = input.value.trim();
    if (q.length >= 1) lookup(q);
    else show([]);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && items.length) {
      ev.preventDefault();
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight((active + 1) % items.length);
    } else if (ev.key === "ArrowUp" && items.length) {
      ev.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (ev.key === "Enter" && !list.hidden && active >= 0) {
      ev.preventDefault();
      choose(items[active]);
    } else if (ev.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 100));

  const element = h(
    "div",
    { class: "field combobox" },
    h("label", { for: id }, opts.label),
    opts.hint ? h("p", { id: `${id}-hint`, class: "hint" }, opts.hint) : null,
    h("div", { class: "combobox-wrap" }, input, list),
    note,
  );
  return { element, input, chosen: () => chosen };
}
