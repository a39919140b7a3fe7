/** Shared pieces of the pages: error and notice boxes, loading state, tables, the cursor pager. */

import { h, clear } from "./dom.js";

/** An error as the official should see it: the API's message, and its request id for support. */
export function errorBox(error) {
  const box = h("div", { class: "alert alert-error", role: "alert" },
    h("strong", { text: error && error.message ? error.message : "Ocurrió un error inesperado." }));
  const meta = [];
  if (error && error.field) meta.push(`campo: ${error.field}`);
  if (error && error.code) meta.push(`código: ${error.code}`);
  if (meta.length || (error && error.requestId)) {
    box.append(h("div", { class: "alert-meta" },
      meta.join(" · "),
      error && error.requestId ? h("span", { class: "request-id" },
        meta.length ? " · " : "", "ID de solicitud: ", h("code", { class: "rid", text: error.requestId })) : null));
  }
  return box;
}

export function notice(text, kind = "info") {
  return h("div", { class: `alert alert-${kind}`, role: kind === "success" ? "status" : null }, text);
}

export function loading(text = "Cargando…") {
  return h("div", { class: "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/** Render `promise`'s result into `target`, with a loading state and the error box on failure. */
export async function load(target, promise, render) {
  clear(target).append(loading());
  try {
    const data = await promise;
    clear(target);
    render(data);
  } catch (error) {
    clear(target).append(errorBox(error));
  }
}

/** A slot that shows the outcome of an action (saved / error). */
export function statusSlot() {
  const node = h("div", { class: "status-slot" });
  return {
    node,
    ok(text) { clear(node).append(notice(text, "success")); },
    fail(error) { clear(node).append(errorBox(error)); },
    info(text) { clear(node).append(notice(text, "info")); },
    clear() { clear(node); },
  };
}

/** Run an async action from a button: disables it meanwhile and reports to `slot`. */
export async function busy(button, slot, action) {
  const label = button.textContent;
  button.disabled = true;
  button.classList.add("is-busy");
  if (slot) slot.clear();
  try {
    return await action();
  } catch (error) {
    if (slot) slot.fail(error);
    else throw error;
    return undefined;
  } finally {
    button.disabled = false;
    button.classList.remove("is-busy");
    button.textContent = label;
  }
}

/** A table: columns = [[header, row => cell, className?]]. */
export function table(columns, rows, { empty = "Sin resultados.", caption } = {}) {
  if (!rows.length) return h("p", { class: "empty", text: empty });
  return h("div", { class: "table-wrap" },
    h("table", { class: "data" },
      caption ? h("caption", { class: "sr-only", text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map(([title, , cls]) => h("th", { class: cls || null, scope: "col", text: title })))),
      h("tbody", {}, rows.map((row) => h("tr", {}, columns.map(([, cell, cls]) => {
        const value = cell(row);
        return h("td", { class: cls || null }, value == null ? "—" : value);
      }))))));
}

/**
 * Pages of a listing with the API's opaque cursor: keeps the cursors seen so "Anterior" works.
 * fetchPage(cursor) → {items, cursor}; render(items) → node.
 */
export function pager(fetchPage, render, { label = "resultados" } = {}) {
  const root = h("div", { class: "pager-block" });
  const body = h("div");
  const info = h("span", { class: "pager-info" });
  const prev = h("button", { type: "button", class: "btn btn-ghost", text: "← Anterior" });
  const next = h("button", { type: "button", class: "btn btn-ghost", text: "Siguiente →" });
  const nav = h("nav", { class: "pager", "aria-label": `Páginas de ${label}` }, prev, info, next);
  root.append(body, nav);
  const stack = [null];
  let page = 0;
  let nextCursor = null;

  async function show() {
    prev.disabled = true;
    next.disabled = true;
    clear(body).append(loading());
    try {
      const data = await fetchPage(stack[page]);
      nextCursor = data.cursor || null;
      clear(body).append(render(data.items || [], data));
      info.textContent = `Página ${page + 1}`;
      prev.disabled = page === 0;
      next.disabled = !nextCursor;
    } catch (error) {
      clear(body).append(errorBox(error));
      prev.disabled = page === 0;
    }
  }
  prev.addEventListener("click", () => { if (page > 0) { page -= 1; show(); } });
  next.addEventListener("click", () => {
    if (!nextCursor) return;
    stack.length = page + 1;
    stack.push(nextCursor);
    page += 1;
    show();
  });
  show();
  return { node: root, reload: () => { stack.length = 1; page = 0; return show(); } };
}

/** A status badge. */
export function badge(text, kind) {
  return h("span", { class: `badge badge-${kind || "neutral"}`, text });
}

export const STATUS_KIND = { paid: "ok", pending: "warn", review: "warn", rejected: "bad", expired: "neutral", cancelled: "neutral",
  refund_pending: "warn", refunded: "neutral", partially_refunded: "warn", refund_failed: "bad", reversed: "bad" };

/** Page header: title, subtitle, actions on the right. */
export function pageHeader(title, subtitle, ...actions) {
  return h("header", { class: "page-header" },
    h("div", {}, h("h1", { text: title }), subtitle ? h("p", { class: "subtitle", text: subtitle }) : null),
    actions.length ? h("div", { class: "page-actions" }, actions) : null);
}

export function card(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", { class: "card-title", text: title }) : null, children);
}

/** A definition list from [label, value] pairs (values may be nodes). */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([k, v]) => [
    h("dt", { text: k }), h("dd", {}, v == null || v === "" ? "—" : v)]));
}
