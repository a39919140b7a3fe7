/** Documentos firmados: the signed batches of the last days and the signed agreements, with their
 * download links; "Verificar" downloads the PDF and sends its bytes to the public verification
 * route (POST /v1/signatures/verify). There is no listing route of signed batches: the page reads
 * the batch of each of the last 7 days. */

import { api, muni } from "../api.js";
import { h, clear, field } from "../dom.js";
import { addDays, fecha, fechaHora, hoyChile, miles, pesos } from "../format.js";
import { badge, card, errorBox, loading, pageHeader, table } from "../ui.js";
import { AGREEMENT_KIND } from "./signatures-pending.js";
import { verifyButton } from "./signatures-common.js";

const DAYS = 7;

export async function render(root, ctx) {
  const until = /^\d{4}-\d{2}-\d{2}$/.test(ctx.query.get("hasta") || "") ? ctx.query.get("hasta") : hoyChile();
  root.append(pageHeader("Documentos firmados", `Municipalidad de ${ctx.municipalityName || ctx.code}`));
  const work = [];
  if (ctx.can("batches.read")) {
    const picker = h("input", { type: "date", id: "docs-until", value: until, max: hoyChile() });
    const go = h("button", { type: "button", class: "btn", text: "Ver", onclick: () => ctx.navigate("documentos-firmados", { hasta: picker.value }) });
    const body = h("div", { id: "signed-batches" });
    root.append(card(`Nóminas firmadas (${DAYS} días hasta ${fecha(until)})`,
      h("div", { class: "filters-actions" }, field("Hasta el día", picker), h("div", { class: "buttons" }, go)), body));
    work.push(batches(body, ctx, until));
  }
  if (ctx.can("agreements.read")) {
    const body = h("div", { id: "signed-agreements" });
    root.append(card("Convenios firmados", body));
    work.push(agreements(body, ctx));
  }
  await Promise.all(work);
}

async function batches(target, ctx, until) {
  clear(target).append(loading());
  const days = Array.from({ length: DAYS }, (_, i) => addDays(until, -i));
  let rows;
  try {
    const found = await Promise.all(days.map((day) => api.get(muni(ctx.code, `/batches/${day}`))));
    rows = found.flatMap((b) => b.signed.map((s) => ({ ...s, day: b.day, current: b.status })));
  } catch (error) {
    clear(target).append(errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  clear(target).append(table([
    ["Día", (r) => fecha(r.day)],
    ["Documento", (r) => r.kind === "batch" ? "Nómina" : `Corrección N° ${r.number - 1}`],
    ["Firmada", (r) => h("div", { class: "cell-2" }, h("span", { text: fechaHora(r.signed_at) }),
      h("small", { text: r.signed_by ? r.signed_by.name || r.signed_by.email : "" }))],
    ["Pagos", (r) => miles(r.count), "num"],
    ["Monto", (r) => pesos(r.amount), "num"],
    ["", (r) => {
      const result = h("div", { class: "verify-slot", id: `verify-batch-${r.day}-${r.number}` });
      return h("div", { class: "doc-actions" },
        h("a", { href: r.download_url, class: "btn btn-small", target: "_blank", rel: "noopener", text: "Descargar" }), " ",
        verifyButton(r.download_url, result, `verify-batch-${r.day}-${r.number}-button`), result);
    }],
  ], rows, { empty: "No hay nóminas firmadas en estos días." }));
}

async function agreements(target, ctx) {
  clear(target).append(loading());
  let listing;
  try {
    listing = await api.get(muni(ctx.code, "/agreements"));
  } catch (error) {
    clear(target).append(errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  const signed = listing.items.filter((a) => a.status !== "draft");
  clear(target).append(table([
    ["Convenio", (a) => h("div", { class: "cell-2" }, h("strong", { text: a.reference || "Sin referencia" }), h("small", { text: a.agreement_id }))],
    ["Vigencia", (a) => `${fecha(a.valid_from)} al ${fecha(a.valid_until)}`],
    ["Estado", (a) => badge(a.status_text || a.status, AGREEMENT_KIND[a.status])],
    ["", (a) => {
      const result = h("div", { class: "verify-slot" });
      return h("div", { class: "doc-actions" },
        h("a", { href: a.download_url, class: "btn btn-small", target: "_blank", rel: "noopener", text: "Descargar" }), " ",
        verifyButton(a.download_url, result, `verify-agreement-${a.agreement_id}`), result);
    }],
  ], signed, { empty: "No hay convenios firmados." }));
}
