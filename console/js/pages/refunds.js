/** Devoluciones: refunds waiting for authorization (the signature step: a one-time code signs the
 * refund order), the history of refunds and reversals (contracargos) with a status filter; and,
 * for the payment detail, the card that proposes a refund and lists the payment's refunds. */

import { api, muni } from "../api.js";
import { h, field, select } from "../dom.js";
import { fechaHora, pesos } from "../format.js";
import { badge, busy, card, errorBox, loading, notice, pageHeader, statusSlot, table } from "../ui.js";
import { reversalAlerts } from "./reversal-alerts.js";
import { otpForm } from "./signatures-common.js";

const REFUND_KIND = { proposed: "warn", authorized: "warn", accepted: "warn", completed: "ok", rejected: "bad", failed: "bad", cancelled: "neutral" };
const STATES = [["", "Todas"], ["proposed", "Por autorizar"], ["accepted", "En pago en la Tesorería"], ["completed", "Devueltas"],
  ["rejected", "Rechazadas"], ["failed", "Fallidas"], ["cancelled", "Retiradas"]];
const REFUNDABLE = ["paid", "review", "partially_refunded", "refund_failed"];

export async function render(root, ctx) {
  const status = ctx.query.get("estado") || "";
  root.append(pageHeader("Devoluciones", `Municipalidad de ${ctx.municipalityName || ctx.code}`), reversalAlerts(ctx));
  const pending = h("div", { id: "refunds-pending" }, loading());
  const history = h("div", { id: "refunds-history" }, loading());
  const filter = select("estado", STATES, status);
  filter.id = "refunds-filter";
  filter.addEventListener("change", () => ctx.navigate("devoluciones", filter.value ? { estado: filter.value } : {}));
  root.append(card("Por autorizar", h("p", { class: "muted", text: "Cada devolución se autoriza firmando la orden de devolución con su firma electrónica avanzada (código de su aplicación de firma)." }), pending),
    card("Historial de devoluciones y contracargos", field("Estado", filter), history));
  await Promise.all([showPending(pending, ctx), showHistory(history, ctx, status)]);
}

async function showPending(target, ctx) {
  let data;
  try {
    data = await api.get(muni(ctx.code, "/refunds"), { status: "proposed", limit: 100 });
  } catch (error) {
    target.replaceChildren(errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  if (!data.items.length) {
    target.replaceChildren(h("p", { class: "empty", id: "refunds-none-pending", text: "No hay devoluciones por autorizar." }));
    return;
  }
  target.replaceChildren(...data.items.map((r) => pendingRow(r, ctx, target)));
}

function pendingRow(refund, ctx, target) {
  const slot = statusSlot();
  const row = h("article", { class: "item refund-pending", dataset: { refund: refund.refund_id } },
    h("div", { class: "item-head" },
      h("div", {}, h("strong", { text: `${pesos(refund.amount)} · ${refund.reason_text}` }),
        h("small", { text: `Pago ${refund.payment_id} · ${refund.whole ? "devolución total" : `ítems ${refund.items.join(", ")}`} · propuesta por ${refund.proposed_by?.name || refund.proposed_by?.email || "—"} el ${fechaHora(refund.created_at)}` })),
      h("a", { href: `#/pagos/${encodeURIComponent(refund.payment_id)}`, text: "Ver pago" })),
    refund.note ? h("p", { text: refund.note }) : "");
  const base = `/payments/${encodeURIComponent(refund.payment_id)}/refunds/${refund.refund_id}`;
  if (ctx.can("refunds.authorize")) {
    row.append(otpForm({
      id: `refund-sign-${refund.refund_id}`, label: "Firmar y autorizar devolución", slot,
      action: async (otp) => {
        const result = await api.post(muni(ctx.code, `${base}/authorize`), { otp });
        await showPending(target, ctx);
        target.prepend(notice(result.sent === false ? result.message
          : `Devolución firmada y enviada a la Tesorería: ${result.status_text}.`, result.sent === false ? "warn" : "success"));
      },
    }));
  }
  if (ctx.can("refunds.propose") || ctx.can("refunds.authorize")) {
    const withdraw = h("button", { type: "button", class: "btn btn-ghost btn-small", text: "Retirar propuesta",
      onclick: () => busy(withdraw, slot, async () => {
        await api.post(muni(ctx.code, `${base}/withdraw`));
        await showPending(target, ctx);
      }) });
    row.append(h("div", { class: "buttons" }, withdraw));
  }
  row.append(slot.node);
  return row;
}

async function showHistory(target, ctx, status) {
  let data;
  try {
    data = await api.get(muni(ctx.code, "/refunds"), { status: status || undefined, limit: 100 });
  } catch (error) {
    target.replaceChildren(errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  target.replaceChildren(refundsTable(data.items, true));
}

/** Refunds and reversals as a table (`withPayment`: a column linking each to its payment). */
export function refundsTable(rows, withPayment = false) {
  return table([
    ["Fecha", (r) => fechaHora(r.created_at)],
    ["Tipo", (r) => r.kind === "reversal" ? "Contracargo" : "Devolución"],
    withPayment && ["Pago", (r) => h("a", { href: `#/pagos/${encodeURIComponent(r.payment_id)}`, class: "mono", text: r.payment_id })],
    ["Estado", (r) => badge(r.status_text, r.kind === "reversal" ? "bad" : REFUND_KIND[r.status])],
    ["Motivo", (r) => r.reason_text],
    ["Autorizó", (r) => r.authorized_by ? r.authorized_by.name || r.authorized_by.email : "—"],
    ["Monto", (r) => pesos(r.amount), "num"],
    ["", (r) => r.document_url ? h("a", { href: r.document_url, target: "_blank", rel: "noopener", text: "Orden firmada" }) : ""],
  ].filter(Boolean), rows, { empty: "Sin devoluciones ni contracargos." });
}

/** The payment detail's card: its refunds, the receipt's annulment, and the proposal form. */
export function refundsCard(p, ctx, code) {
  const parts = [];
  if (p.annulment) {
    parts.push(notice(`Comprobante anulado el ${fechaHora(p.annulment.at)}: ${p.annulment.reason}`, "warn"));
  }
  if (p.refunds && p.refunds.length) parts.push(refundsTable(p.refunds));
  if (ctx.can("refunds.propose") && REFUNDABLE.includes(p.status) && !p.refund_open) parts.push(proposeForm(p, ctx, code));
  if (!parts.length) return null;
  return h("div", { id: "payment-refunds" }, card("Devoluciones", ...parts));
}

function proposeForm(p, ctx, code) {
  const done = new Set(p.refunded_items || []);
  const boxes = p.items.map((item, index) => done.has(index) ? null
    : h("label", { class: "check" }, h("input", { type: "checkbox", name: "refund-item", value: String(index) }),
      ` ${item.description || item.service} (${pesos(item.amount)})`));
  const reason = h("select", { id: "refund-reason", required: true }, h("option", { value: "", text: "Elija un motivo" }),
    ...Object.entries({ double_payment: "Pago duplicado", amount_mismatch: "Monto cobrado no corresponde",
      wrong_municipality: "Pagado en otra municipalidad", not_owed: "Cobro improcedente", citizen_withdrawal: "Desistimiento del contribuyente",
      other: "Otro motivo" }).map(([v, t]) => h("option", { value: v, text: t })));
  const note = h("textarea", { id: "refund-note", maxlength: 500, rows: 2 });
  const slot = statusSlot();
  const button = h("button", { type: "submit", class: "btn", id: "refund-propose", text: "Proponer devolución" });
  return h("form", { class: "refund-form", onsubmit: (event) => {
    event.preventDefault();
    const items = [...event.target.querySelectorAll("input[name=refund-item]:checked")].map((i) => Number(i.value));
    busy(button, slot, async () => {
      const refund = await api.post(muni(code, `/payments/${encodeURIComponent(p.payment_id)}/refunds`),
        { reason: reason.value, note: note.value, ...(items.length ? { items } : {}) });
      slot.ok(`Devolución de ${pesos(refund.amount)} propuesta: queda por autorizar con firma en Devoluciones.`);
      return true;
    }).then((proposed) => { if (proposed) button.disabled = true; });
  } },
  h("p", { class: "muted", text: "Sin ítems marcados se devuelve todo lo que queda del pago." }),
  h("div", { class: "items" }, boxes.filter(Boolean)),
  field("Motivo", reason), field("Descripción", note, "Obligatoria con «Otro motivo»."),
  h("div", { class: "buttons" }, button), slot.node);
}
