/** Pagos: the search (date range, status, service, RUT, plate, folio; cursor pages), the CSV
 * export, and a payment's detail (items with breakdown and checks, events, receipt, e-mails). */

import { api, muni } from "../api.js";
import { h, field, select } from "../dom.js";
import { ESTADOS, MEDIOS, SERVICIOS, addDays, fecha, fechaHora, hoyChile, pesos, rut, servicio } from "../format.js";
import { refundsCard } from "./refunds.js";
import { STATUS_KIND, badge, busy, card, errorBox, facts, loading, notice, pageHeader, pager, statusSlot, table } from "../ui.js";

export async function render(root, ctx) {
  if (ctx.segments[1]) return detail(root, ctx, ctx.segments[1]);
  return search(root, ctx);
}

// -- search --------------------------------------------------------------------------------------

// `reveal`: payers' RUT and e-mail in full, for a profile that sees them masked (audited by the API).
const FILTERS = ["from", "to", "status", "service", "rut", "plate", "folio", "reveal"];

function search(root, ctx) {
  const q = Object.fromEntries(FILTERS.map((k) => [k, ctx.query.get(k) || ""]));
  const today = hoyChile();
  const byKey = Boolean(q.rut || q.plate || q.folio);
  if (!byKey && !q.from && !q.to) { q.from = today; q.to = today; }

  const inputs = {
    from: h("input", { type: "date", name: "from", value: q.from }),
    to: h("input", { type: "date", name: "to", value: q.to }),
    status: select("status", [["", "Todos"], ...Object.entries(ESTADOS)], q.status),
    service: select("service", [["", "Todos"], ...Object.entries(SERVICIOS)], q.service),
    rut: h("input", { name: "rut", value: q.rut, placeholder: "12.345.678-5", autocomplete: "off" }),
    plate: h("input", { name: "plate", value: q.plate, placeholder: "BBBB10", autocomplete: "off", class: "upper" }),
    folio: h("input", { name: "folio", value: q.folio, placeholder: `${ctx.code}-2027-000123`, autocomplete: "off" }),
    reveal: h("input", { type: "checkbox", name: "reveal", id: "reveal-full", checked: q.reveal === "true" }),
  };
  const quick = (label, from, to) => h("button", { type: "button", class: "chip", text: label, onclick: () => {
    inputs.from.value = from;
    inputs.to.value = to;
    datesChosen = true;
    form.requestSubmit();
  } });
  // The dates shown by default (today) are not a choice of the official: a search by RUT, plate
  // or folio leaves them out unless the official set them, so yesterday's folio is found after
  // midnight.
  let datesChosen = Boolean(q.from || q.to) && (byKey || q.from !== today || q.to !== today);
  for (const input of [inputs.from, inputs.to]) input.addEventListener("change", () => { datesChosen = true; });
  const form = h("form", { class: "filters", id: "payment-filters", onsubmit: (event) => {
    event.preventDefault();
    const next = Object.fromEntries(FILTERS.map((k) => [k, k === "reveal" ? (inputs.reveal.checked ? "true" : "") : inputs[k].value.trim()]));
    if ((next.rut || next.plate || next.folio) && !datesChosen) { next.from = ""; next.to = ""; }
    ctx.navigate("pagos", next);
  } },
  h("div", { class: "filters-grid" },
    field("Desde", inputs.from), field("Hasta", inputs.to), field("Estado", inputs.status),
    field("Servicio", inputs.service), field("RUT del pagador", inputs.rut), field("Patente", inputs.plate),
    field("Folio del comprobante", inputs.folio),
    ctx.can("personal_data.full") ? null : h("label", { class: "check" }, inputs.reveal, " Mostrar RUT y correo completos (queda en la auditoría)")),
  h("div", { class: "filters-actions" },
    h("div", { class: "chips" }, quick("Hoy", today, today), quick("Últimos 7 días", addDays(today, -6), today),
      quick("Este mes", `${today.slice(0, 8)}01`, today)),
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "btn btn-ghost", text: "Limpiar", onclick: () => ctx.navigate("pagos", {}) }),
      h("button", { type: "submit", class: "btn btn-primary", id: "search-submit", text: "Buscar" }))));

  const exportSlot = statusSlot();
  const exportButton = ctx.can("payments.export") ? h("button", { type: "button", class: "btn", id: "export-csv",
    text: "Exportar CSV", onclick: () => busy(exportButton, exportSlot, () => exportCsv(ctx, q, exportSlot)) }) : null;

  root.append(pageHeader("Pagos", `Municipalidad de ${ctx.municipalityName || ctx.code}`, exportButton),
    card(null, form), exportSlot.node);
  const hint = byKey
    ? "Búsqueda por RUT, patente o folio: las fechas, si las indica, acotan el resultado."
    : `Pagos creados entre el ${fecha(q.from || q.to)} y el ${fecha(q.to || q.from)} (máximo 93 días), más recientes primero.`;
  const results = pager((cursor) => api.get(muni(ctx.code, "/payments"), { ...q, limit: 25, cursor }),
    (items) => resultsTable(items, q.reveal), { label: "pagos" });
  root.append(card("Resultados", h("p", { class: "hint", text: hint }), results.node));
}

function resultsTable(items, reveal) {
  return table([
    ["Fecha", (p) => fechaHora(p.created_at), "nowrap"],
    ["Pagador", (p) => h("div", { class: "cell-2" }, h("span", { text: p.payer.name || "—" }), h("small", { text: rut(p.payer.rut) }))],
    ["Servicio", (p) => h("div", { class: "cell-2" }, h("span", { text: p.services.map(servicio).join(", ") || "—" }),
      p.plates.length ? h("small", { text: p.plates.join(", ") }) : null)],
    ["Folio", (p) => p.folio || "—"],
    ["Estado", (p) => badge(p.status_text, STATUS_KIND[p.status])],
    ["Monto", (p) => pesos(p.amount), "num"],
    ["", (p) => h("a", { class: "btn btn-small", href: `#/pagos/${encodeURIComponent(p.payment_id)}${reveal ? "?reveal=true" : ""}`, text: "Detalle",
      "aria-label": `Detalle del pago ${p.payment_id}` })],
  ], items, { empty: "No hay pagos con estos filtros.", caption: "Pagos encontrados" });
}

async function exportCsv(ctx, q, slot) {
  const response = await api.download(muni(ctx.code, "/payments.csv"), q);
  const blob = await response.blob();
  const rows = response.headers.get("X-Row-Count");
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  const link = h("a", { href: URL.createObjectURL(blob), download: `pagos-${ctx.code}-${stamp}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  slot.ok(rows ? `Se descargó el archivo CSV (${rows} pagos).` : "Se descargó el archivo CSV.");
}

// -- detail --------------------------------------------------------------------------------------

const EVENTS = {
  created: "Pago creado", gateway_order_created: "Orden creada en TGR", gateway_approved: "TGR aprobó el pago",
  gateway_rejected: "TGR rechazó el pago", expired: "El pago expiró", cancelled: "Pago anulado",
  receipt_issued: "Comprobante emitido y firmado", receipt_emailed: "Comprobante enviado por correo",
  receipt_resent: "Comprobante reenviado", receipt_resend_requested: "Reenvío del comprobante solicitado", review: "Pago enviado a revisión", review_opened: "Pago enviado a revisión",
  refund_proposed: "Devolución propuesta", refund_withdrawn: "Devolución retirada",
  refund_authorized: "Devolución autorizada con firma", refund_accepted: "TGR aceptó la orden de devolución",
  refund_completed: "TGR devolvió el dinero", refund_rejected: "TGR rechazó la devolución", refund_failed: "La devolución falló en TGR",
  reversed: "Contracargo: TGR reversó el pago", annulment_emailed: "Comprobante de anulación enviado por correo",
};
const CHECKS = {
  insurance: "Seguro obligatorio (SOAP)", inspection: "Revisión técnica", emissions: "Control de emisiones",
  fines: "Multas de tránsito impagas (RMNP)",
};
const CHECK_STATUS = { ok: ["Al día", "ok"], failed: ["No cumple", "bad"], unavailable: ["No disponible", "warn"] };
const EMAIL_STATUS = { sent: ["Enviado", "ok"], queued: ["En cola", "warn"], failed: ["Falló", "bad"], bounced: ["Rebotado", "bad"],
  retry: ["Se reintentará", "warn"], sending: ["Enviando", "warn"], unknown: ["Resultado por confirmar", "warn"] };
const INSTALLMENT = { full: "pago total", first: "primera cuota", second: "segunda cuota" };

async function detail(root, ctx, paymentId) {
  // A payment id starts with its municipality's code: ask about that municipality, so another
  // municipality's payment is refused by the API (403), not silently looked up in ours.
  const code = /^\d{5}(?=-)/.exec(paymentId)?.[0] || ctx.code;
  const back = h("a", { class: "back", href: "#/pagos", text: "← Volver a la búsqueda" });
  const body = h("div", {}, loading("Cargando el pago…"));
  root.append(back, body);
  let p;
  try {
    p = await api.get(muni(code, `/payments/${encodeURIComponent(paymentId)}`), { reveal: ctx.query.get("reveal") || undefined });
  } catch (error) {
    body.replaceChildren(pageHeader("Pago", paymentId), h("div", { id: "payment-error" }, errorBox(error)));
    return;
  }
  const resendSlot = statusSlot();
  const resend = ctx.can("receipts.resend") && p.status === "paid"
    ? h("button", { type: "button", class: "btn", id: "resend-receipt", text: "Reenviar comprobante",
      onclick: () => busy(resend, resendSlot, async () => {
        await api.post(muni(code, `/payments/${encodeURIComponent(paymentId)}/resend-receipt`));
        resendSlot.ok(`El comprobante se reenviará a ${p.payer.email || "el correo del pagador"} en unos momentos.`);
      }) }) : null;

  body.replaceChildren(
    h("header", { class: "page-header" },
      h("div", {}, h("h1", {}, "Pago ", h("span", { class: "mono", id: "payment-id", text: p.payment_id })),
        h("p", { class: "subtitle" }, badge(p.status_text, STATUS_KIND[p.status]), " ",
          h("strong", { class: "amount-lg", id: "payment-amount", text: pesos(p.amount) }),
          ` · ${p.services.map(servicio).join(", ")}`)),
      h("div", { class: "page-actions" }, resend)),
    resendSlot.node,
    h("div", { class: "grid-2" },
      card("Pago", facts([
        ["Creado", fechaHora(p.created_at)], ["Pagado", p.paid_at ? fechaHora(p.paid_at) : null],
        ["Medio de pago", MEDIOS[p.method] || p.method], ["Orden TGR", p.order_id],
        ["Código de autorización", p.authorization_code], p.gateway_amount != null ? ["Monto informado por TGR", pesos(p.gateway_amount)] : null,
        p.review_reason ? ["Motivo de revisión", p.review_reason] : null,
        p.status === "pending" ? ["Expira", fechaHora(p.expires_at)] : null,
      ])),
      card("Pagador", facts([["Nombre", p.payer.name], ["RUT", rut(p.payer.rut)], ["Correo", p.payer.email]]))),
    card("Ítems", h("div", { class: "items" }, p.items.map(itemView))),
    h("div", { class: "grid-2" }, receiptCard(p, ctx, code), emailCard(p, ctx, code)),
    refundsCard(p, ctx, code) || "",
    card("Historial", timeline(p.events)),
  );
}

function itemView(item) {
  const bits = [servicio(item.service)];
  if (item.plate) bits.push(`patente ${item.plate}`);
  if (item.year) bits.push(`año ${item.year}`);
  if (item.installment) bits.push(INSTALLMENT[item.installment] || item.installment);
  if (item.debt_id) bits.push(`deuda ${item.debt_id}`);
  return h("article", { class: "item" },
    h("div", { class: "item-head" },
      h("div", {}, h("strong", { text: item.description || servicio(item.service) }), h("small", { text: bits.join(" · ") })),
      h("strong", { class: "num", text: pesos(item.amount) })),
    breakdownView(item.breakdown || {}),
    item.checks ? checksView(item.checks) : null);
}

function breakdownView(b) {
  const out = h("div", { class: "breakdown" });
  if (Array.isArray(b.lines) && b.lines.length) {
    out.append(h("table", { class: "lines" }, h("tbody", {}, b.lines.map((line) =>
      h("tr", {}, h("td", { text: line.label }), h("td", { class: "num", text: pesos(line.amount) }))))));
  }
  const summary = [];
  if (b.utm) summary.push(["UTM aplicada", `${pesos(b.utm.value)} (${mes(b.utm.month)})${b.utm.projected ? " — proyectada" : ""}`]);
  if (b.base && b.base.kind === "tasacion") summary.push(["Tasación", `${pesos(Number(b.base.value))}${b.base.tasacion_percent && b.base.tasacion_percent !== "100" ? ` al ${b.base.tasacion_percent}%` : ""}`]);
  if (b.distribution) summary.push(["Distribución", `Fondo Común Municipal ${pesos(b.distribution.fcm)} · municipio ${pesos(b.distribution.municipal)}`]);
  if (b.late_payment) summary.push(["Recargo por atraso", b.late_payment.applies ? "sí" : `no: ${b.late_payment.reason || ""}`]);
  if (b.rounding_rule) summary.push(["Redondeo", b.rounding_rule]);
  if (summary.length) out.append(facts(summary));
  if (b.estimated_note) out.append(notice(b.estimated_note, "warn"));
  const keys = Object.keys(b).filter((k) => k !== "lines");
  if (keys.length) {
    out.append(h("details", { class: "raw" }, h("summary", { text: "Ver el cálculo completo" }), tree(b)));
  }
  return out;
}

/** Any JSON value as nested lists of text (the breakdown keeps every input, rate and rounding). */
const MESES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
  "noviembre", "diciembre"];
function mes(yyyymm) {
  const m = /^(\d{4})-(\d{2})/.exec(String(yyyymm || ""));
  return m ? `${MESES[Number(m[2]) - 1]} ${m[1]}` : String(yyyymm || "");
}

function tree(value) {
  if (value === null || value === undefined) return h("span", { class: "muted", text: "—" });
  if (Array.isArray(value)) return h("ol", { class: "tree" }, value.map((v) => h("li", {}, tree(v))));
  if (typeof value === "object") {
    return h("ul", { class: "tree" }, Object.entries(value).map(([k, v]) =>
      h("li", {}, h("span", { class: "tree-key", text: `${k.replace(/_/g, " ")}: ` }), tree(v))));
  }
  if (typeof value === "boolean") return h("span", { text: value ? "sí" : "no" });
  return h("span", { text: String(value) });
}

function checksView(checks) {
  return h("div", { class: "checks" }, h("h3", { text: "Verificaciones en línea" }),
    h("ul", { class: "check-list" }, Object.entries(checks).map(([name, c]) => {
      const [text, kind] = CHECK_STATUS[c.status] || [c.status, "neutral"];
      const source = c.detail && (c.detail.source_name || c.detail.source);
      return h("li", {}, badge(text, kind), h("div", {},
        h("strong", { text: CHECKS[name] || name }), h("p", { text: c.reason || "" }),
        h("small", { class: "muted", text: [source, c.detail && c.detail.reference, c.checked_at ? `consultado ${fechaHora(c.checked_at)}` : null].filter(Boolean).join(" · ") })));
    })));
}

function receiptCard(p, ctx, code) {
  if (!p.receipt) {
    return card("Comprobante", p.status === "paid"
      ? notice("El comprobante se está emitiendo; recargue en unos segundos.", "info")
      : h("p", { class: "muted", text: "Solo los pagos pagados tienen comprobante." }));
  }
  const r = p.receipt;
  return card("Comprobante", facts([
    ["Folio", h("span", { class: "mono", id: "receipt-folio", text: r.folio })],
    ["Código de verificación", h("span", { class: "mono", text: r.verification_code })],
    ["Emitido", fechaHora(r.issued_at)],
  ]),
  h("div", { class: "buttons" },
    h("a", { class: "btn btn-primary", id: "receipt-download", href: r.download_url, target: "_blank", rel: "noopener noreferrer",
      text: "Descargar comprobante (PDF)" }),
    h("button", { type: "button", class: "btn btn-ghost", text: "Renovar enlace", title: "El enlace de descarga vale 5 minutos",
      onclick: () => ctx.navigate(`pagos/${encodeURIComponent(p.payment_id)}`) })),
  h("small", { class: "muted", text: "El enlace de descarga vale 5 minutos; el PDF lleva firma electrónica de la municipalidad." }));
}

// What SES reported of each e-mail after accepting it (docs/email-events.md).
const DELIVERY_STATUS = {
  delivered: ["Entregado", "ok"], bounced: ["Rebotado", "bad"], complained: ["Reclamo de spam", "bad"],
  delayed: ["Demorado", "warn"], rejected: ["Rechazado por SES", "bad"], sent: ["Aceptado por SES", "neutral"],
};
const DELIVERY_DATES = { sent: "aceptado", delivered: "entregado", bounced: "rebotó", complained: "reclamo", delayed: "demorado", rejected: "rechazado" };

function deliveryView(p, ctx, code) {
  const attempts = p.delivery || [];
  if (!attempts.length) return null;
  const [text, kind] = DELIVERY_STATUS[p.delivery_status] || [p.delivery_status, "neutral"];
  const parts = [h("p", {}, "Entrega: ", h("span", { id: "email-delivery-status" }, badge(text, kind)))];
  parts.push(h("ul", { class: "attempts", id: "email-delivery" }, attempts.map((a) => {
    const [t, k] = DELIVERY_STATUS[a.status] || [a.status, "neutral"];
    const dates = Object.entries(a.dates || {}).sort((x, y) => (x[1] < y[1] ? -1 : 1)).map(([name, at]) => `${DELIVERY_DATES[name] || name} ${fechaHora(at)}`);
    return h("li", {}, badge(t, k), h("div", { class: "cell-2" }, h("small", { text: dates.join(" · ") })));
  })));
  if (p.email_bounce) {
    parts.push(notice("El servidor de destino rechazó el correo (rebote permanente): corrija la dirección y reenvíe el comprobante.", "error"));
  }
  if (p.email_complaint) {
    parts.push(notice("El destinatario marcó el correo como spam: no se le enviarán más correos a esa dirección.", "warn"));
  }
  if (p.email_bounce && ctx.can("receipts.resend")) {
    const slot = statusSlot();
    const input = h("input", { type: "email", id: "corrected-email", required: true, maxlength: 254, value: "" });
    const button = h("button", { type: "submit", class: "btn", id: "correct-and-resend", text: "Corregir y reenviar" });
    const form = h("form", { class: "inline-form", onsubmit: (event) => {
      event.preventDefault();
      busy(button, slot, async () => {
        await api.post(muni(code, `/payments/${encodeURIComponent(p.payment_id)}/resend-receipt`), { email: input.value.trim() });
        slot.ok(`El comprobante se reenviará a ${input.value.trim()} en unos momentos.`);
      });
    } }, field("Correo corregido", input), button);
    parts.push(form, slot.node);
  }
  return h("div", {}, ...parts);
}

function emailCard(p, ctx, code) {
  const [text, kind] = EMAIL_STATUS[p.email && p.email.status] || [p.email ? p.email.status : "Sin envío", "neutral"];
  const attempts = p.emails || [];
  return card("Envío por correo",
    h("p", {}, badge(text, kind), p.email && p.email.attempts ? ` ${p.email.attempts} intento(s)` : ""),
    deliveryView(p, ctx, code),
    attempts.length ? h("ul", { class: "attempts" }, attempts.map((e) => {
      const [t, k] = EMAIL_STATUS[e.outcome] || [e.outcome, "neutral"];
      return h("li", {}, badge(t, k), h("div", { class: "cell-2" },
        h("span", { text: `${e.kind === "receipt" ? "Comprobante" : e.kind} a ${e.to || "—"}` }),
        h("small", { text: `${fechaHora(e.at)}${e.attempt ? ` · intento ${e.attempt}` : ""}${e.error ? ` · ${e.error}` : ""}` })));
    })) : h("p", { class: "empty", text: "Aún no hay envíos." }));
}

function timeline(events) {
  if (!events.length) return h("p", { class: "empty", text: "Sin eventos." });
  return h("ol", { class: "timeline" }, events.map((e) => h("li", {},
    h("time", { datetime: e.at, text: fechaHora(e.at) }),
    h("div", {}, h("strong", { text: EVENTS[e.type] || e.type.replace(/_/g, " ") }),
      eventDetail(e.detail)))));
}

function eventDetail(d) {
  if (!d || !Object.keys(d).length) return null;
  const parts = [];
  if (d.amount != null) parts.push(pesos(d.amount));
  if (d.order_id) parts.push(`orden ${d.order_id}`);
  if (d.method) parts.push(MEDIOS[d.method] || d.method);
  if (d.authorization_code) parts.push(`autorización ${d.authorization_code}`);
  if (d.folio) parts.push(`folio ${d.folio}`);
  if (d.reason) parts.push(String(d.reason));
  if (d.by) parts.push(`por ${d.by}`);
  if (d.items != null) parts.push(`${d.items} ítem(s)`);
  return parts.length ? h("small", { class: "muted", text: parts.join(" · ") }) : null;
}
