// A few DOM helpers so the views read as the markup they build: `h('div', {class: 'card'}, …)`.
// Attributes whose value is undefined are left out; children may be strings, nodes or nothing.

export type Child = Node | string | number | undefined | null | false;
export type Attributes = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Element, children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** Replaces an element's children. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Sets an attribute only when it changes (keeps the DOM quiet for the browser and for tests). */
export function setData(element: HTMLElement, name: string, value: string): void {
  if (element.dataset[name] !== value) element.dataset[name] = value;
}

export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** A 64-bit value the stream wrote in decimal, in hex as ZooKeeper prints zxids. */
export function hex(decimal: string | undefined): string {
  if (decimal === undefined) return '';
  try {
    return `0x${BigInt(decimal).toString(16)}`;
  } catch {
    return decimal;
  }
}

export function clockTime(ms: number, simulated: boolean): string {
  // A simulator's clock starts at zero; a trace written from a server's stream has wall time.
  if (simulated && ms < 1e11) return `${(ms / 1000).toFixed(3)}s`;
  const date = new Date(ms);
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(date.getMilliseconds(), 3);
}
