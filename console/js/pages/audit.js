/** Auditoría: the municipality's append-only log (who, profile, what, when, before/after). */

import { api, muni } from "../api.js";
import { h, field } from "../dom.js";
import { PERFILES, fechaHora } from "../format.js";
import { card, pageHeader, pager, table } from "../ui.js";

const ACTIONS = {
  "settings.update": "Cambió la configuración", "settings.logo": "Cambió el logo", "portal_key.rotate": "Emitió una clave de portal",
  "official.create": "Creó un funcionario", "official.update": "Modificó un funcionario",
  "payment.receipt.resend": "Reenvió un comprobante", "roll.upload.create": "Inició la carga de un rol",
  "roll.upload.process": "Procesó un rol", "roll.upload.processed": "Rol procesado", "roll.upload.failed": "Rol rechazado",
  "municipality.onboard": "Incorporó la municipalidad", "municipality.update": "Cambió convenio o habilitación",
  "reference.utm.set": "Fijó la UTM de un mes", "reference.ipc.set": "Fijó el IPC de un mes",
  "personal_data.retention": "Retención: datos personales vencidos anonimizados", "personal_data.reveal": "Vio RUT y correo completos",
  "privacy.request.filed": "Ingresó una solicitud de derechos", "privacy.request.refused": "Solicitud de derechos rechazada",
  "privacy.request.exported": "Entregó los datos de un titular", "privacy.request.rectified": "Rectificó datos de un titular",
  "privacy.request.suppressed": "Suprimió datos de un titular", "privacy.request.opposition_recorded": "Registró una oposición",
  "privacy.request.extended": "Prorrogó una solicitud de derechos", "privacy.request.closed": "Cerró una solicitud de derechos",
};

function utcDay(offset = 0) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

export async function render(root, ctx) {
  const from = ctx.query.get("from") || utcDay(-29);
  const to = ctx.query.get("to") || utcDay();
  const fromInput = h("input", { type: "date", value: from });
  const toInput = h("input", { type: "date", value: to });
  root.append(pageHeader("Auditoría", "Registro de cambios hechos por funcionarios (no se puede modificar ni borrar)"),
    card(null, h("form", { class: "filters", onsubmit: (event) => {
      event.preventDefault();
      ctx.navigate("auditoria", { from: fromInput.value, to: toInput.value });
    } }, h("div", { class: "filters-grid" }, field("Desde (UTC)", fromInput), field("Hasta (UTC)", toInput),
      h("div", { class: "field" }, h("label", { text: "\u00a0" }), h("button", { class: "btn btn-primary", type: "submit", text: "Filtrar" }))))));
  const list = pager((cursor) => api.get(muni(ctx.code, "/audit"), { from, to, limit: 50, cursor }), (items) => table([
    ["Fecha", (e) => fechaHora(e.at)],
    ["Funcionario", (e) => h("div", { class: "cell-2" }, h("span", { text: e.actor }), h("small", { text: PERFILES[e.profile] || e.profile || "" }))],
    ["Acción", (e) => h("div", { class: "cell-2" }, h("span", { text: ACTIONS[e.action] || e.action }), h("small", { class: "mono", text: e.action }))],
    ["Objeto", (e) => h("span", { class: "mono", text: e.target || "—" })],
    ["Cambio", (e) => change(e.before, e.after)],
  ], items, { empty: "No hay registros en este período." }), { label: "registros" });
  root.append(card("Registros", list.node));
}

/** before → after, field by field (only the fields that changed). */
function change(before, after) {
  const b = before && typeof before === "object" ? before : {};
  const a = after && typeof after === "object" ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
  if (!keys.length) return h("span", { class: "muted", text: before == null && after == null ? "—" : "sin cambios visibles" });
  const show = (v) => (v === undefined || v === null ? "∅" : typeof v === "object" ? JSON.stringify(v) : String(v));
  return h("details", {}, h("summary", { text: `${keys.length} campo(s): ${keys.slice(0, 3).join(", ")}${keys.length > 3 ? "…" : ""}` }),
    h("ul", { class: "tree" }, keys.map((k) => h("li", {}, h("span", { class: "tree-key", text: `${k}: ` }),
      h("del", { text: show(b[k]) }), " → ", h("ins", { text: show(a[k]) })))));
}
