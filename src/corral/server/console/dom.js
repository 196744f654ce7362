// DOM helpers. Elements are built from data, never from HTML strings: every value
// the API returns is inserted as a text node, so a model's answer or a file name
// cannot become markup or script.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (typeof value !== "string" && key in el) {
      el[key] = value; // value, checked, disabled, multiple...
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let nextId = 0;

// A labelled control: the label names the input for screen readers and clicks.
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++nextId}`;
  return h("div", { class: "field" },
    h("label", { for: control.id }, label), control,
    hint ? h("small", {}, hint) : null);
}

export function select(options, props = {}) {
  const el = h("select", props);
  for (const opt of options) {
    const [value, text] = Array.isArray(opt) ? opt : [opt, opt];
    el.append(h("option", { value }, text));
  }
  return el;
}

export function message(kind, text) {
  return h("p", { class: `msg ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function table(headers, rows) {
  return h("table", {},
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))));
}

export function json(value) {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

export function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "";
}
