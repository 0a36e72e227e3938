/** Small DOM helpers: elements built in code, never from HTML strings. */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;

/** An element with attributes (`on<event>` adds a listener; `false`/`undefined` omits) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element, like {@link h}. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

function setAttributes(element: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(element: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "number" ? String(child) : child);
  }
}

/** Replaces an element's children. */
export function replaceChildren(element: Element, ...children: Child[]): void {
  element.replaceChildren();
  append(element, children);
}

/** A button that runs `action` on click; disabled while the returned promise is pending. */
export function button(label: string, action: () => unknown, attributes: Attributes = {}): HTMLButtonElement {
  const element = h("button", { type: "button", ...attributes }, label);
  element.addEventListener("click", async () => {
    element.disabled = true;
    try {
      await action();
    } finally {
      element.disabled = false;
    }
  });
  return element;
}

/**
 * Shows `rows` in `body`, keeping each row already shown (the same value of
 * `key`, a `data-*` attribute) whose text did not change: a refresh then
 * leaves alone what stayed the same (no flicker, focus and selection kept).
 */
export function updateRows(body: HTMLTableSectionElement, key: string, rows: readonly HTMLTableRowElement[]): void {
  const shown = new Map<string, HTMLTableRowElement>();
  for (const tr of body.querySelectorAll<HTMLTableRowElement>(`tr[${key}]`)) shown.set(tr.getAttribute(key) ?? "", tr);
  replaceChildren(
    body,
    ...rows.map((fresh) => {
      const old = shown.get(fresh.getAttribute(key) ?? "");
      return old && old.textContent === fresh.textContent ? old : fresh;
    }),
  );
}

/** A table with one header row of column names (`scope="col"`) above `body`. */
export function headedTable(className: string, columns: readonly string[], body: HTMLTableSectionElement): HTMLTableElement {
  return h("table", { class: className }, h("thead", {}, h("tr", {}, ...columns.map((t) => h("th", { scope: "col" }, t)))), body);
}
