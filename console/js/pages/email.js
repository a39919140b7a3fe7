/** Correos: what became of the receipt e-mails (SES's events: delivered, bounced, complained,
 * delayed, with dates) and the sending health (bounce and complaint rates over 24 h and 7 days),
 * for a municipality ("correos") and, for the central level, per municipality ("salud-correo"). */

import { api, muni } from "../api.js";
import { h } from "../dom.js";
import { fechaHora } from "../format.js";
import { badge, card, errorBox, loading, pageHeader, table } from "../ui.js";

const STATUS = {
  delivered: ["Entregado", "ok"], bounced: ["Rebotado", "bad"], complained: ["Reclamo de spam", "bad"],
  delayed: ["Demorado", "warn"], rejected: ["Rechazado por SES", "bad"], sent: ["Aceptado por SES", "neutral"],
};
const DATES = { sent: "aceptado", delivered: "entregado", bounced: "rebotó", complained: "reclamo", delayed: "demorado", rejected: "rechazado" };

export async function render(root, ctx) {
  const body = h("div", {}, loading("Cargando los envíos…"));
  const central = ctx.segments[0] === "salud-correo";
  root.append(pageHeader(central ? "Salud del envío de correos" : "Correos enviados",
    "Según los eventos de Amazon SES: entregas, rebotes, reclamos y demoras de los comprobantes enviados."), body);
  try {
    if (central) {
      const data = await api.get("/v1/admin/central/email-health");
      body.replaceChildren(healthCards(data.platform, data.thresholds, "Plataforma"), card("Por municipalidad", table([
        ["Municipalidad", (r) => r.municipality],
        ["Enviados 24 h", (r) => String(r["24h"].sent), "num"],
        ["Rebotes 24 h", (r) => rate(r["24h"].bounce_rate), "num"],
        ["Reclamos 24 h", (r) => rate(r["24h"].complaint_rate), "num"],
        ["Enviados 7 días", (r) => String(r["7d"].sent), "num"],
        ["Rebotes 7 días", (r) => rate(r["7d"].bounce_rate), "num"],
        ["Reclamos 7 días", (r) => rate(r["7d"].complaint_rate), "num"],
        ["Estado", (r) => (r["24h"].warning || r["7d"].warning) ? badge("Sobre el umbral", "bad") : badge("Normal", "ok")],
      ], data.municipalities, { empty: "Sin municipalidades." })));
      return;
    }
    const data = await api.get(muni(ctx.code, "/email-deliveries"));
    body.replaceChildren(healthCards(data.health, data.thresholds, "Esta municipalidad"), card("Comprobantes enviados (últimos 7 días)",
      h("div", { id: "email-deliveries" }, table([
        ["Pago", (r) => h("a", { href: `#/pagos/${encodeURIComponent(r.payment_id)}`, class: "mono", text: r.payment_id })],
        ["Folio", (r) => h("span", { class: "mono", text: r.folio || "" })],
        ["Estado", (r) => { const [t, k] = STATUS[r.status] || [r.status, "neutral"]; return h("span", { dataset: { status: r.status } }, badge(t, k)); }],
        ["Fechas", (r) => h("small", { text: Object.entries(r.dates || {}).sort((x, y) => (x[1] < y[1] ? -1 : 1)).map(([n, at]) => `${DATES[n] || n} ${fechaHora(at)}`).join(" · ") })],
      ], data.emails, { empty: "No hay correos enviados en los últimos 7 días." }))));
  } catch (error) {
    body.replaceChildren(errorBox(error));
  }
}

function rate(value) {
  return `${(Number(value || 0) * 100).toLocaleString("es-CL", { maximumFractionDigits: 2 })}%`;
}

function healthCards(health, thresholds, who) {
  const windows = [["24h", "Últimas 24 horas"], ["7d", "Últimos 7 días"]];
  return h("div", { class: "grid-2", id: "sending-health" }, windows.map(([key, label]) => {
    const w = health[key];
    return card(`${who} · ${label}`,
      h("p", {}, w.warning ? badge("Sobre el umbral de alerta", "bad") : badge("Normal", "ok")),
      h("dl", { class: "facts" },
        h("dt", { text: "Enviados" }), h("dd", { text: String(w.sent) }),
        h("dt", { text: "Entregados" }), h("dd", { text: String(w.delivered) }),
        h("dt", { text: `Rebotes (alerta desde ${rate(thresholds.bounce_rate)})` }), h("dd", { dataset: { key: `bounce-${key}` }, text: `${w.bounced} · ${rate(w.bounce_rate)}` }),
        h("dt", { text: `Reclamos (alerta desde ${rate(thresholds.complaint_rate)})` }), h("dd", { text: `${w.complained} · ${rate(w.complaint_rate)}` }),
        h("dt", { text: "Demoras" }), h("dd", { text: String(w.delayed) })));
  }));
}
