/**
 * DOM helpers. Data from the API only ever reaches the page as text nodes or checked attributes:
 * no innerHTML, no HTML parsed from strings (the CSP forbids inline scripts as a second line).
 */

const SVG_NS = "http://www.w3.org/2000/svg";

/** h("a", {href: "#/x", class: "btn", onclick: fn}, "texto", child…) */
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  append(node, children);
  return node;
}

/** The same for SVG elements (charts, icons). */
export function s(tag, props, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function applyProps(node, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "href" || key === "src") node.setAttribute(key, safeUrl(value));
    else if (key === "value" || key === "checked" || key === "disabled" || key === "selected") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Links from the API (presigned S3 URLs) must be http(s) or blob; anything else becomes "#". */
export function safeUrl(value) {
  const text = String(value);
  if (text.startsWith("#") || text.startsWith("/") || text.startsWith("blob:")) return text;
  try {
    const url = new URL(text, window.location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : "#";
  } catch {
    return "#";
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replace(node, ...children) {
  clear(node);
  append(node, children);
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** A labelled form field: label text, the control, an optional hint. */
export function field(labelText, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", { class: "field" },
    h("label", { for: id, text: labelText }), control, hint ? h("small", { class: "hint", text: hint }) : null);
}

export function select(name, options, value) {
  return h("select", { name },
    options.map(([v, label]) => h("option", { value: v, selected: v === value, text: label })));
}
