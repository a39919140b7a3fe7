/** Recordatorios: the municipality's log of reminder e-mails sent to citizens who asked for them. */

import { api, muni } from "../api.js";
import { h, field } from "../dom.js";
import { fecha, fechaHora, pesos } from "../format.js";
import { card, pageHeader, table } from "../ui.js";

const KINDS = { before: "Antes del vencimiento", after: "Vencimiento impago", renewal: "Permiso del año" };
const STATUS = { sent: "Enviado", failed: "Falló", sending: "En envío" };

export async function render(root, ctx) {
  const month = ctx.query.get("month") || new Date().toISOString().slice(0, 7);
  const monthInput = h("input", { type: "month", value: month });
  root.append(pageHeader("Recordatorios", "Correos de recordatorio enviados a ciudadanos que los pidieron"),
    card(null, h("form", { class: "filters", onsubmit: (event) => {
      event.preventDefault();
      ctx.navigate("recordatorios", { month: monthInput.value });
    } }, h("div", { class: "filters-grid" }, field("Mes (UTC)", monthInput),
      h("div", { class: "field" }, h("label", { text: "\u00a0" }), h("button", { class: "btn btn-primary", type: "submit", text: "Ver" }))))));
  const log = await api.get(muni(ctx.code, "/reminders"), { month });
  root.append(card("Envíos", table([
    ["Fecha", (d) => fechaHora(d.at)],
    ["Tipo", (d) => KINDS[d.kind] || d.kind],
    ["Obligación", (d) => h("div", { class: "cell-2" }, h("span", { text: d.description || d.debt_id }), h("small", { class: "mono", text: d.debt_id }))],
    ["Vence", (d) => fecha(d.due_date)],
    ["Monto", (d) => (d.amount === null || d.amount === undefined ? "—" : pesos(d.amount)), "num"],
    ["Destinatario", (d) => d.recipient],
    ["Estado", (d) => `${STATUS[d.status] || d.status}${d.reason ? ` (${d.reason})` : ""}`],
  ], log.deliveries, { empty: "No se enviaron recordatorios este mes." })));
}
