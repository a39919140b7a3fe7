/**
 * Consolidación y conciliación: a day's consolidation (totals by service and payment method, the
 * Fondo Común Municipal's share of permit revenue, the municipal share) and its reconciliation with
 * TGR's settlement file (rendición): status, the file in force, and the discrepancies — each one
 * opens on its history, where officials comment (`reconciliation.comment`) and resolve it with a
 * note (`reconciliation.resolve`). Nothing is overwritten: comments and resolutions are appended.
 *
 * API (docs/settlement.md): GET …/consolidation/{day}, GET …/reconciliation/{day},
 * POST …/reconciliation/{day}/run, POST …/discrepancies/{id}/comments, POST …/discrepancies/{id}/resolve.
 */

import { api, muni } from "../api.js";
import { h, field, replace, select } from "../dom.js";
import { addDays, fecha, fechaHora, hoyChile, miles, pesos } from "../format.js";
import { badge, busy, card, errorBox, facts, loading, notice, pageHeader, statusSlot, table } from "../ui.js";

const DAY_STATUS = {
  conciliado: ["Conciliado", "ok"],
  con_diferencias: ["Con diferencias", "bad"],
  sin_rendicion: ["Sin rendición de TGR", "neutral"],
};
const DISC_STATUS = { open: ["Abierta", "warn"], resolved: ["Resuelta", "ok"], cleared: ["Superada", "neutral"] };
const KINDS = {
  missing_in_settlement: "En la plataforma, no en la rendición",
  not_in_platform: "En la rendición, no en la plataforma",
  amount_mismatch: "Monto distinto",
  duplicate_in_settlement: "Repetido en la rendición",
};
const OUTCOMES = {
  aclarada: "Aclarada: no era un error",
  ajuste_contable: "Ajuste contable",
  reclamo_tgr: "Reclamo a TGR",
  otra: "Otra",
};
const EVENTS = {
  detected: "Diferencia detectada",
  comment: "Comentario",
  resolved: "Diferencia resuelta",
  cleared: "Superada por una nueva rendición",
  reopened: "Reabierta por una nueva rendición",
};
const FILE_STATUS = { ingested: "conciliada", reconciled: "conciliada", rejected: "rechazada", stale: "sin efecto" };
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function render(root, ctx) {
  if (ctx.segments[1] && ctx.segments[2]) return detail(root, ctx, ctx.segments[1], ctx.segments[2]);
  return dayPage(root, ctx);
}

function dayParam(value) {
  return DAY.test(value || "") ? value : hoyChile();
}

/** "0.625" → "62,5%" */
function share(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value ?? "—");
  return `${String(Math.round(n * 1000) / 10).replace(".", ",")}%`;
}

function dayBadge(status, text) {
  const [label, kind] = DAY_STATUS[status] || [text || status, "neutral"];
  return badge(label, kind);
}

function discBadge(d) {
  const [label, kind] = DISC_STATUS[d.status] || [d.status_text || d.status, "neutral"];
  return badge(label, kind);
}

/** What TGR credited minus what the platform has paid (a missing side counts as zero). */
function difference(d) {
  if (d.platform_amount == null && d.settlement_amount == null) return null;
  return (d.settlement_amount || 0) - (d.platform_amount || 0);
}

function signedPesos(value) {
  if (value == null) return "—";
  return value > 0 ? `+${pesos(value)}` : pesos(value);
}

// -- the day ---------------------------------------------------------------------------------------

async function dayPage(root, ctx) {
  const today = hoyChile();
  const day = dayParam(ctx.query.get("dia"));
  const go = (d) => ctx.navigate("conciliacion", { dia: d });
  const input = h("input", { type: "date", id: "recon-day", name: "dia", value: day, max: today });
  const form = h("form", { class: "day-picker", id: "recon-day-form", onsubmit: (event) => {
    event.preventDefault();
    if (DAY.test(input.value)) go(input.value);
  } },
  h("button", { type: "button", class: "btn btn-ghost", id: "recon-prev", "aria-label": "Día anterior", text: "←",
    onclick: () => go(addDays(day, -1)) }),
  field("Día", input),
  h("button", { type: "button", class: "btn btn-ghost", id: "recon-next", "aria-label": "Día siguiente", text: "→",
    disabled: day >= today, onclick: () => go(addDays(day, 1)) }),
  h("button", { type: "submit", class: "btn btn-primary", id: "recon-show", text: "Ver día" }),
  h("div", { class: "chips" },
    h("button", { type: "button", class: "chip", text: "Hoy", onclick: () => go(today) }),
    h("button", { type: "button", class: "chip", text: "Ayer", onclick: () => go(addDays(today, -1)) })));

  const runSlot = statusSlot();
  const runButton = ctx.can("reconciliation.resolve") ? h("button", { type: "button", class: "btn", id: "recon-run",
    text: "Volver a conciliar", title: "Vuelve a comparar los pagos del día con la rendición vigente (p. ej. tras un pago tardío)",
    onclick: () => busy(runButton, runSlot, async () => {
      const run = await api.post(muni(ctx.code, `/reconciliation/${day}/run`));
      ctx.navigate("conciliacion", { dia: day, conciliado: run.at || Date.now() });
    }) }) : null;

  root.append(pageHeader("Consolidación y conciliación",
    `Municipalidad de ${ctx.municipalityName || ctx.code} · ${fecha(day)}`, runButton),
  card(null, form), runSlot.node);
  if (ctx.query.get("conciliado")) runSlot.ok("Se volvió a conciliar el día con la rendición vigente.");

  const body = h("div", { id: "recon-body" }, loading("Consolidando el día…"));
  root.append(body);
  let consolidation;
  let view;
  try {
    [consolidation, view] = await Promise.all([
      api.get(muni(ctx.code, `/consolidation/${day}`)),
      api.get(muni(ctx.code, `/reconciliation/${day}`)),
    ]);
  } catch (error) {
    if (ctx.alive()) replace(body, errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  replace(body,
    statusCard(view, consolidation),
    kpis(consolidation),
    h("div", { class: "grid-2" },
      card("Por servicio", breakdownTable(consolidation.by_service, "Servicio", consolidation.totals, "recon-services")),
      card("Por medio de pago", breakdownTable(consolidation.by_method, "Medio de pago", consolidation.totals, "recon-methods"))),
    distributionCard(consolidation),
    discrepanciesCard(view, ctx, day),
    filesCard(view),
  );
}

function statusCard(view, consolidation) {
  const settlement = view.settlement;
  const run = view.last_run || {};
  const kind = view.status === "con_diferencias" ? "recon-status-bad" : view.status === "conciliado" ? "recon-status-ok" : "";
  const platformTotal = run.platform_total ?? consolidation.totals.amount;
  return h("section", { class: `card recon-status ${kind}`, id: "recon-status", dataset: { status: view.status } },
    h("div", { class: "recon-status-head" },
      h("div", {},
        h("span", { class: "kpi-label", text: "Estado de la conciliación con TGR" }),
        h("div", { class: "recon-status-line" }, dayBadge(view.status, view.status_text),
          h("strong", { id: "recon-status-text", text: view.status_text }))),
      h("dl", { class: "recon-totals" },
        h("div", {}, h("dt", { text: "Plataforma" }), h("dd", { class: "num", text: pesos(platformTotal) }),
          h("small", { text: run.payments != null ? `${miles(run.payments)} pago(s) pagados` : "" })),
        h("div", {}, h("dt", { text: "Rendición TGR" }), h("dd", { class: "num", text: settlement ? pesos(settlement.total) : "—" }),
          h("small", { text: settlement ? `${miles(settlement.lines)} línea(s)` : "aún no llega" })),
        h("div", {}, h("dt", { text: "Diferencia" }),
          h("dd", { class: "num", text: settlement ? signedPesos(settlement.total - platformTotal) : "—" }),
          h("small", { text: run.matched != null ? `${miles(run.matched)} pago(s) coinciden` : "" })))),
    settlement
      ? h("p", { class: "hint recon-file" }, `Rendición vigente: versión ${settlement.version}, generada por TGR el `
        + `${fechaHora(settlement.generated_at)} y recibida el ${fechaHora(settlement.received_at)}.`
        + (run.at ? ` Última conciliación: ${fechaHora(run.at)}.` : ""))
      : h("p", { class: "hint recon-file", text: "TGR envía la rendición del día al día siguiente; al llegar, el día se concilia solo." }));
}

function kpi(label, value, sub, id) {
  return h("div", { class: "kpi", id },
    h("span", { class: "kpi-label", text: label }), h("strong", { class: "kpi-value", text: value }),
    h("span", { class: "kpi-sub", text: sub }));
}

function kpis(c) {
  const d = c.distribution;
  return h("div", { class: "kpis" },
    kpi("Recaudación del día", pesos(c.totals.amount),
      `${miles(c.totals.payments)} ${c.totals.payments === 1 ? "pago" : "pagos"} · ticket promedio ${pesos(c.totals.average_ticket)}`, "recon-kpi-total"),
    kpi("Fondo Común Municipal", pesos(d.fcm), `${share(d.fcm_share)} de ${pesos(d.permits_amount)} en permisos`, "recon-kpi-fcm"),
    kpi("Participación municipal", pesos(d.municipal_total), `permisos: ${pesos(d.municipal_permits)} · total − FCM`, "recon-kpi-municipal"));
}

function breakdownTable(rows, title, totals, id) {
  if (!rows.length) return h("p", { class: "empty", text: "Sin pagos este día." });
  const node = table([
    [title, (r) => r.label],
    ["Pagos", (r) => miles(r.payments), "num"],
    ["Ticket promedio", (r) => pesos(r.average_ticket), "num"],
    ["Recaudación", (r) => pesos(r.amount), "num"],
  ], [...rows, { label: "Total", ...totals, total: true }]);
  node.id = id;
  const last = node.querySelector("tbody tr:last-child");
  if (last) last.classList.add("row-total");
  return node;
}

function distributionCard(c) {
  const d = c.distribution;
  return card("Distribución de los permisos de circulación", h("div", { class: "split" },
    facts([
      ["Recaudación de permisos", pesos(d.permits_amount)],
      [`Fondo Común Municipal (${share(d.fcm_share)})`, h("strong", { id: "recon-fcm", text: pesos(d.fcm) })],
      ["Permisos para la municipalidad", pesos(d.municipal_permits)],
      ["Otros servicios (patentes, aseo)", pesos(c.totals.amount - d.permits_amount)],
      ["Total para la municipalidad", h("strong", { text: pesos(d.municipal_total) })],
    ]),
    shareBar(d.fcm, d.municipal_total)),
  h("p", { class: "hint distribution-note", text: `${d.note}. Puede diferir en unos pesos de la suma de las líneas de cada comprobante.` }));
}

/** One stacked bar: FCM vs municipality (CSSOM widths, allowed by the CSP). */
function shareBar(fcm, municipal) {
  const total = Math.max(1, fcm + municipal);
  const part = (cls, value, label) => h("span", { class: `share-part ${cls}`, style: { width: `${(value / total) * 100}%` },
    title: `${label}: ${pesos(value)}` });
  return h("div", { class: "share" },
    h("div", { class: "share-bar", role: "img", "aria-label": `FCM ${pesos(fcm)}, municipalidad ${pesos(municipal)}` },
      part("share-fcm", fcm, "Fondo Común Municipal"), part("share-muni", municipal, "Municipalidad")),
    h("ul", { class: "legend" },
      h("li", {}, h("span", { class: "swatch share-fcm" }), `Fondo Común Municipal ${Math.round((fcm / total) * 100)}%`),
      h("li", {}, h("span", { class: "swatch share-muni" }), `Municipalidad ${Math.round((municipal / total) * 100)}%`)));
}

function discrepanciesCard(view, ctx, day) {
  const list = view.discrepancies || [];
  const open = list.filter((d) => d.status === "open").length;
  const title = list.length ? `Diferencias con la rendición (${open} abierta${open === 1 ? "" : "s"} de ${list.length})` : "Diferencias con la rendición";
  const empty = view.settlement ? "La rendición de TGR coincide con los pagos de la plataforma: no hay diferencias."
    : "Sin rendición de TGR para este día todavía: nada que comparar.";
  const node = table([
    ["Tipo", (d) => h("div", { class: "cell-2" }, h("span", { text: d.kind_text || KINDS[d.kind] || d.kind }),
      h("small", { text: `detectada ${fechaHora(d.detected_at)}` }))],
    ["Pago / orden TGR", (d) => h("div", { class: "cell-2" }, h("span", { class: "mono", text: d.payment_id || "—" }),
      h("small", { class: "mono", text: d.order_id || "—" }))],
    ["Plataforma", (d) => (d.platform_amount == null ? h("span", { class: "muted", text: "no figura" }) : pesos(d.platform_amount)), "num"],
    ["Rendición", (d) => (d.settlement_amount == null ? h("span", { class: "muted", text: "no figura" }) : pesos(d.settlement_amount)), "num"],
    ["Diferencia", (d) => {
      const diff = difference(d);
      return h("span", { class: diff ? "text-bad" : null, text: signedPesos(diff) });
    }, "num"],
    ["Estado", (d) => discBadge(d)],
    ["", (d) => h("a", { class: "btn btn-small", href: `#/conciliacion/${day}/${encodeURIComponent(d.discrepancy_id)}`,
      text: d.status === "open" && ctx.can("reconciliation.resolve") ? "Revisar" : "Abrir",
      "aria-label": `Abrir la diferencia ${d.discrepancy_id}` })],
  ], list, { empty, caption: "Diferencias del día" });
  const section = card(title, node);
  section.id = "recon-discrepancies";
  return section;
}

function filesCard(view) {
  const files = view.files || [];
  if (files.length < 2) return null;
  return h("details", { class: "card" }, h("summary", { class: "card-title", text: `Versiones de la rendición (${files.length})` }),
    table([
      ["Versión", (f) => String(f.version)],
      ["Generada por TGR", (f) => fechaHora(f.generated_at)],
      ["Recibida", (f) => fechaHora(f.received_at)],
      ["Líneas", (f) => (f.lines == null ? "—" : miles(f.lines)), "num"],
      ["Total", (f) => (f.total == null ? "—" : pesos(f.total)), "num"],
      ["Estado", (f) => [FILE_STATUS[f.status] || f.status, f.reason ? ` — ${f.reason}` : ""].join("")],
    ], files),
    h("p", { class: "hint", text: "Rige la versión que TGR generó al último, aunque haya llegado antes que otra." }));
}

// -- one discrepancy ----------------------------------------------------------------------------

async function detail(root, ctx, day, id) {
  const back = h("a", { class: "back", href: `#/conciliacion?dia=${day}`, text: `← Volver al ${fecha(day)}` });
  const body = h("div", {}, loading("Cargando la diferencia…"));
  root.append(back, body);
  if (!DAY.test(day)) {
    replace(body, errorBox({ message: "La fecha debe tener el formato AAAA-MM-DD.", code: "invalid_day" }));
    return;
  }
  let view;
  try {
    view = await api.get(muni(ctx.code, `/reconciliation/${day}`));
  } catch (error) {
    if (ctx.alive()) replace(body, errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  const d = (view.discrepancies || []).find((x) => x.discrepancy_id === id);
  if (!d) {
    replace(body, pageHeader("Diferencia", fecha(day)),
      errorBox({ message: "No existe esa diferencia en la conciliación del día.", code: "discrepancy_not_found" }));
    return;
  }
  const reload = (done) => {
    window.scrollTo(0, 0); // the outcome is shown at the top
    ctx.navigate(`conciliacion/${day}/${encodeURIComponent(id)}`, { hecho: done });
  };
  const done = ctx.query.get("hecho");
  const diff = difference(d);
  replace(body,
    h("header", { class: "page-header" },
      h("div", {}, h("h1", { text: d.kind_text || KINDS[d.kind] || "Diferencia" }),
        h("p", { class: "subtitle" }, h("span", { id: "disc-status" }, discBadge(d)),
          ` Conciliación del ${fecha(day)} · Municipalidad de ${ctx.municipalityName || ctx.code}`))),
    done === "comentario" ? notice("Comentario agregado.", "success") : null,
    done === "resuelta" ? notice("Diferencia resuelta. Queda en el historial junto a su detección y comentarios.", "success") : null,
    h("div", { class: "grid-2" },
      card("Diferencia", h("p", { class: "disc-detail", id: "disc-detail", text: d.detail }), facts([
        ["Pago", d.payment_id ? h("a", { class: "mono", href: `#/pagos/${encodeURIComponent(d.payment_id)}`, text: d.payment_id }) : null],
        ["Orden TGR", d.order_id ? h("span", { class: "mono", text: d.order_id }) : null],
        ["Monto en la plataforma", d.platform_amount == null ? "no figura" : pesos(d.platform_amount)],
        ["Monto en la rendición", d.settlement_amount == null ? "no figura" : pesos(d.settlement_amount)],
        diff != null ? ["Diferencia", h("strong", { class: diff ? "text-bad" : null, text: signedPesos(diff) })] : null,
        ["Detectada", `${fechaHora(d.detected_at)} (rendición versión ${d.settlement_version ?? "—"})`],
        d.resolved_at ? ["Resuelta", `${fechaHora(d.resolved_at)} por ${d.resolved_by || "—"}`] : null,
      ])),
      actionsCard(ctx, day, d, reload)),
    card("Historial", history(d.events || [])),
  );
}

function actionsCard(ctx, day, d, reload) {
  const path = (rest) => muni(ctx.code, `/reconciliation/${day}/discrepancies/${encodeURIComponent(d.discrepancy_id)}${rest}`);
  const parts = [];
  if (ctx.can("reconciliation.comment")) {
    const slot = statusSlot();
    const text = h("textarea", { id: "disc-comment", name: "text", maxlength: "1000", required: true,
      placeholder: "Ej.: Se consultó a TGR; el abono llegará en la rendición de mañana." });
    const send = h("button", { type: "submit", class: "btn", id: "disc-comment-send", text: "Agregar comentario" });
    parts.push(h("form", { class: "stack", id: "disc-comment-form", onsubmit: (event) => {
      event.preventDefault();
      if (!text.value.trim()) return;
      busy(send, slot, async () => {
        await api.post(path("/comments"), { text: text.value.trim() });
        reload("comentario");
      });
    } }, field("Comentario", text, "Se agrega al historial; nada se sobrescribe."), slot.node, h("div", { class: "buttons" }, send)));
  }
  if (d.status === "open" && ctx.can("reconciliation.resolve")) {
    const slot = statusSlot();
    const outcome = select("outcome", Object.entries(OUTCOMES), "aclarada");
    outcome.id = "disc-outcome";
    const note = h("textarea", { id: "disc-note", name: "note", minlength: "3", maxlength: "1000", required: true,
      placeholder: "Qué se hizo y por qué." });
    const resolveButton = h("button", { type: "submit", class: "btn btn-primary", id: "disc-resolve", text: "Resolver diferencia" });
    parts.push(h("form", { class: "stack resolve-form", id: "disc-resolve-form", onsubmit: (event) => {
      event.preventDefault();
      if (note.value.trim().length < 3) {
        slot.fail({ message: "Escriba una nota de al menos 3 caracteres.", field: "note" });
        return;
      }
      busy(resolveButton, slot, async () => {
        await api.post(path("/resolve"), { outcome: outcome.value, note: note.value.trim() });
        reload("resuelta");
      });
    } }, h("h3", { text: "Resolver" }), field("Resultado", outcome), field("Nota", note), slot.node,
    h("div", { class: "buttons" }, resolveButton)));
  } else if (d.status !== "open") {
    parts.push(notice(d.status === "resolved" ? "Esta diferencia ya está resuelta; aún puede agregar comentarios."
      : "Una rendición posterior ya no presenta esta diferencia; si vuelve a aparecer, se reabre sola.", "info"));
  }
  if (!parts.length) parts.push(h("p", { class: "muted", text: "Su perfil puede ver las diferencias, pero no comentarlas ni resolverlas." }));
  return card("Gestión", parts);
}

function history(events) {
  if (!events.length) return h("p", { class: "empty", text: "Sin eventos." });
  return h("ol", { class: "timeline", id: "disc-history" }, events.map((e) => h("li", { class: `event-${e.type}` },
    h("time", { datetime: e.at, text: fechaHora(e.at) }),
    h("div", {},
      h("strong", { text: e.type === "resolved" && e.outcome ? `${EVENTS.resolved}: ${OUTCOMES[e.outcome] || e.outcome}` : EVENTS[e.type] || e.type }),
      e.text ? h("p", { class: "event-text", text: e.text }) : null,
      h("small", { class: "muted", text: [e.by ? `por ${e.by}` : null, e.settlement_version ? `rendición versión ${e.settlement_version}` : null]
        .filter(Boolean).join(" · ") })))));
}
