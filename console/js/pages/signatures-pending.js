/** Firmas pendientes: the day's payment batch (nómina) — totals, payments, signed versions, the
 * draft PDF — signed by the Tesorero(a) with a one-time code, and its corrections; the
 * municipality's agreements (convenios): the Alcalde(sa) signs, SUBDERE issues and countersigns. */

import { api, muni } from "../api.js";
import { h, field, clear } from "../dom.js";
import { fecha, fechaHora, hoyChile, pesos, miles } from "../format.js";
import { badge, busy, card, errorBox, facts, loading, notice, pageHeader, statusSlot, table } from "../ui.js";
import { kindText, otpForm } from "./signatures-common.js";

const BATCH_KIND = { unsigned: "warn", signed: "ok", correction_pending: "warn" };
const BATCH_TEXT = { unsigned: "Sin firmar", signed: "Firmada", correction_pending: "Corrección pendiente" };
export const AGREEMENT_KIND = { draft: "warn", signed_municipality: "warn", in_force: "ok", expired: "neutral", superseded: "neutral" };

export async function render(root, ctx) {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(ctx.query.get("dia") || "") ? ctx.query.get("dia") : hoyChile();
  root.append(pageHeader("Firmas pendientes", `Municipalidad de ${ctx.municipalityName || ctx.code}`));
  const picker = h("input", { type: "date", id: "batch-day", value: day, max: hoyChile() });
  const go = h("button", { type: "button", class: "btn", id: "batch-show", text: "Ver nómina",
    onclick: () => ctx.navigate("firmas", { dia: picker.value }) });
  const batchBody = h("div", { id: "batch" });
  root.append(card("Nómina diaria de pagos", h("div", { class: "filters-actions" }, field("Día", picker), h("div", { class: "buttons" }, go)), batchBody));
  const work = [showBatch(batchBody, ctx, day)];
  if (ctx.can("agreements.read")) {
    const agreements = h("div", { id: "agreements" });
    root.append(agreements);
    work.push(showAgreements(agreements, ctx));
  }
  await Promise.all(work);
}

// -- the batch ------------------------------------------------------------------------------------

async function showBatch(target, ctx, day) {
  clear(target).append(loading("Armando la nómina del día…"));
  let batch;
  try {
    batch = await api.get(muni(ctx.code, `/batches/${day}`));
  } catch (error) {
    clear(target).append(errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  const t = batch.totals;
  const draft = h("span", { id: "batch-draft-slot" });
  const draftButton = h("button", { type: "button", class: "btn btn-small btn-ghost", id: "batch-draft", text: "Generar PDF por firmar" });
  draftButton.addEventListener("click", () => busy(draftButton, null, async () => {
    try {
      const withDoc = await api.get(muni(ctx.code, `/batches/${day}`), { document: true });
      draft.replaceChildren(withDoc.draft_url
        ? h("a", { href: withDoc.draft_url, id: "batch-draft-link", target: "_blank", rel: "noopener", text: "Descargar borrador (PDF, 5 min)" })
        : h("small", { class: "muted", text: "La nómina ya está firmada: descárguela en las versiones firmadas." }));
    } catch (error) {
      draft.replaceChildren(errorBox(error));
    }
  }));
  clear(target).append(
    h("div", { class: "kpis" },
      kpi("Estado", h("span", { id: "batch-status", dataset: { status: batch.status } }, badge(batch.status_text || BATCH_TEXT[batch.status] || batch.status, BATCH_KIND[batch.status]))),
      kpi("Pagos", h("span", { id: "batch-count", text: miles(t.count) })),
      kpi("Monto total", h("span", { id: "batch-amount", text: pesos(t.amount) }))),
    facts([["Día", fecha(batch.day)], ["Resumen (SHA-256)", h("code", { class: "digest", text: batch.digest })],
      batch.status !== "signed" && ["Documento por firmar", h("span", {}, draftButton, " ", draft)]]),
    h("div", { class: "grid-2" },
      card("Por servicio", table([["Servicio", (r) => r.label], ["Pagos", (r) => miles(r.count), "num"], ["Monto", (r) => pesos(r.amount), "num"]],
        t.by_service, { empty: "Sin pagos este día." })),
      card("Por medio de pago", table([["Medio", (r) => r.label], ["Pagos", (r) => miles(r.count), "num"], ["Monto", (r) => pesos(r.amount), "num"]],
        t.by_method, { empty: "Sin pagos este día." }))),
    h("h3", { class: "card-subtitle", text: "Pagos del día" }),
    table([["Pago", (p) => h("code", { text: p.payment_id })], ["Pagado", (p) => fechaHora(p.paid_at)],
      ["Medio", (p) => p.method], ["Servicios", (p) => p.services.join(", ")], ["Monto", (p) => pesos(p.amount), "num"]],
    batch.payments, { empty: "No hay pagos pagados este día (según TGR, hora de Chile)." }),
    batch.signed.length ? h("div", {}, h("h3", { class: "card-subtitle", text: "Versiones firmadas" }), signedTable(batch.signed)) : "",
    batch.pending_correction ? correctionView(batch.pending_correction) : "",
    signArea(target, ctx, batch) || "");
}

function kpi(label, value) {
  return h("div", { class: "kpi" }, h("div", { class: "kpi-label", text: label }), h("div", { class: "kpi-value" }, value));
}

export function signedTable(rows) {
  return table([
    ["N°", (r) => String(r.number).padStart(3, "0")],
    ["Tipo", (r) => r.kind === "batch" ? "Nómina" : "Corrección"],
    ["Firmada", (r) => fechaHora(r.signed_at)],
    ["Por", (r) => r.signed_by ? r.signed_by.name || r.signed_by.email : "—"],
    ["Pagos", (r) => miles(r.count), "num"],
    ["Monto", (r) => pesos(r.amount), "num"],
    ["", (r) => h("a", { href: r.download_url, class: "signed-download", target: "_blank", rel: "noopener", text: "PDF firmado" })],
  ], rows);
}

function correctionView(pending) {
  const rows = [...pending.added.map((p) => ({ ...p, change: "Agregado" })), ...pending.removed.map((p) => ({ ...p, change: "Quitado" }))];
  return h("div", { class: "correction", id: "batch-correction" },
    notice(`Cambió después de la última firma: diferencia neta ${pesos(pending.net_amount)}. Firme una corrección.`, "warn"),
    table([["Cambio", (r) => r.change], ["Pago", (r) => h("code", { text: r.payment_id })], ["Monto", (r) => pesos(r.amount), "num"]], rows));
}

function signArea(target, ctx, batch) {
  if (!ctx.can("batches.sign")) {
    return batch.status === "signed" ? null : h("p", { class: "muted", text: "Firma la nómina el(la) Tesorero(a) o su subrogante." });
  }
  if (batch.status === "signed") return notice("La nómina de este día está firmada y es inmutable; los cambios posteriores se firman como corrección.", "success");
  if (!batch.payments.length && batch.status === "unsigned") return h("p", { class: "muted", text: "Nada que firmar: no hay pagos este día." });
  const slot = statusSlot();
  const correction = batch.status === "correction_pending";
  const form = otpForm({
    id: correction ? "batch-correction-sign" : "batch-sign",
    label: correction ? "Firmar corrección" : "Firmar nómina",
    slot,
    action: async (otp) => {
      const path = correction ? `/batches/${batch.day}/corrections/sign` : `/batches/${batch.day}/sign`;
      await api.post(muni(ctx.code, path), { otp });
      await showBatch(target, ctx, batch.day);
      target.prepend(notice(correction ? "Corrección firmada." : "Nómina firmada.", "success"));
    },
  });
  return card(correction ? "Firmar la corrección" : "Firmar la nómina",
    h("p", { class: "signs-with", text: `Firmará ${miles(batch.totals.count)} pagos por ${pesos(batch.totals.amount)} con ${kindText(batch.signs_with)}.` }),
    form, slot.node);
}

// -- agreements -----------------------------------------------------------------------------------

export async function showAgreements(target, ctx) {
  clear(target).append(loading("Cargando convenios…"));
  let listing;
  try {
    listing = await api.get(muni(ctx.code, "/agreements"));
  } catch (error) {
    clear(target).append(card("Convenios", errorBox(error)));
    return;
  }
  if (!ctx.alive()) return;
  const detail = h("div", { id: "agreement-detail" });
  const reload = () => showAgreements(target, ctx);
  clear(target).append(card("Convenios con el nivel central",
    ctx.can("agreements.issue") ? issueForm(ctx, reload) : null,
    table([
      ["Convenio", (a) => h("div", { class: "cell-2" }, h("strong", { text: a.reference || "Sin referencia" }), h("small", { text: a.agreement_id }))],
      ["Vigencia", (a) => `${fecha(a.valid_from)} al ${fecha(a.valid_until)}`],
      ["Estado", (a) => h("span", { class: "agreement-status", dataset: { id: a.agreement_id, status: a.status } },
        badge(a.status_text || a.status, AGREEMENT_KIND[a.status]), listing.current === a.agreement_id ? " (vigente)" : "")],
      ["Emitido", (a) => fechaHora(a.issued_at)],
      ["", (a) => h("button", { type: "button", class: "btn btn-small", dataset: { open: a.agreement_id }, text: "Abrir",
        onclick: () => openAgreement(detail, ctx, a.agreement_id, reload) })],
    ], listing.items, { empty: "La municipalidad no tiene convenios." }),
    detail));
}

async function openAgreement(target, ctx, id, reload) {
  clear(target).append(loading());
  let a;
  try {
    a = await api.get(muni(ctx.code, `/agreements/${encodeURIComponent(id)}`));
  } catch (error) {
    clear(target).append(errorBox(error));
    return;
  }
  const slot = statusSlot();
  let action = null;
  if (a.status === "draft" && ctx.can("agreements.sign")) {
    action = otpForm({ id: "agreement-sign", label: "Firmar convenio", slot, action: async (otp) => {
      await api.post(muni(ctx.code, `/agreements/${encodeURIComponent(id)}/sign`), { otp });
      await reload();
    } });
  } else if (a.status === "signed_municipality" && ctx.can("agreements.countersign")) {
    action = otpForm({ id: "agreement-countersign", label: "Firmar por el nivel central", slot, action: async (otp) => {
      await api.post(`/v1/admin/central/municipalities/${encodeURIComponent(ctx.code)}/agreements/${encodeURIComponent(id)}/countersign`, { otp });
      await reload();
    } });
  }
  const who = (s) => s ? `${s.name || s.email || "—"} · ${fechaHora(s.signed_at)}` : "Pendiente";
  clear(target).append(h("section", { class: "card agreement-card" },
    h("h3", { class: "card-subtitle", text: `Convenio ${a.reference || a.agreement_id}` }),
    facts([["Estado", badge(a.status_text || a.status, AGREEMENT_KIND[a.status])], ["Vigencia", `${fecha(a.valid_from)} al ${fecha(a.valid_until)}`],
      ["Emitido por", a.issued_by && (a.issued_by.name || a.issued_by.email || String(a.issued_by))],
      ["Firma de la municipalidad", who(a.municipality_signature)], ["Firma del nivel central", who(a.central_signature)],
      ["Tipo de firma", h("span", { class: "signs-with", text: kindText(a.signs_with) })],
      ["Documento", h("a", { href: a.download_url, target: "_blank", rel: "noopener", id: "agreement-download", text: "Descargar PDF (5 min)" })]]),
    action, slot.node));
}

function issueForm(ctx, reload) {
  const slot = statusSlot();
  const from = h("input", { type: "date", id: "agreement-from", required: true, value: hoyChile() });
  const until = h("input", { type: "date", id: "agreement-until", required: true, value: hoyChile(730) });
  const reference = h("input", { id: "agreement-reference", maxlength: 120, placeholder: "Res. Ex. N° 123" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "agreement-issue", text: "Emitir convenio" });
  return h("form", { class: "stack issue-form", onsubmit: (event) => {
    event.preventDefault();
    busy(submit, slot, async () => {
      await api.post(`/v1/admin/central/municipalities/${encodeURIComponent(ctx.code)}/agreements`,
        { valid_from: from.value, valid_until: until.value, reference: reference.value.trim() || null });
      await reload();
    });
  } },
  h("div", { class: "filters-grid" }, field("Vigente desde", from), field("Vigente hasta", until), field("Referencia", reference)),
  h("div", { class: "buttons" }, submit), slot.node);
}
