/** Derechos ARCO: citizens' requests over their personal data (Ley 19.628 modificada por la Ley
 * 21.719), filed by an official after checking the person's identity and handled step by step
 * within the legal deadline; every step is audited by the API (docs/personal-data.md). */

import { api, muni } from "../api.js";
import { h, field, select } from "../dom.js";
import { fecha, fechaHora } from "../format.js";
import { badge, busy, card, facts, load, pageHeader, pager, statusSlot, table } from "../ui.js";

const KINDS = { access: "Acceso", portability: "Portabilidad", rectification: "Rectificación", suppression: "Supresión", opposition: "Oposición" };
const METHODS = { cedula_presencial: "Cédula de identidad, en forma presencial", firma_electronica_avanzada: "Firma electrónica avanzada",
  poder_notarial: "Poder notarial (representante)", clave_unica: "ClaveÚnica" };
const OUTCOMES = { done: "Acogida", partial: "Acogida en parte", refused: "Denegada" };
const STEPS = { filed: "Ingresada", exported: "Datos entregados", rectified: "Datos rectificados", suppressed: "Supresión aplicada",
  opposition_recorded: "Oposición registrada", extended: "Plazo prorrogado", closed: "Cerrada" };

export async function render(root, ctx) {
  if (ctx.segments[1]) return detail(root, ctx, ctx.segments[1]);
  root.append(pageHeader("Derechos ARCO", "Solicitudes de acceso, rectificación, supresión, oposición y portabilidad de datos personales"),
    h("p", { class: "muted", text: "La solicitud en línea con ClaveÚnica aún no existe: el titular la presenta en la municipalidad y usted la ingresa aquí. Plazo legal: 30 días corridos, prorrogable una vez." }));
  const list = pager((cursor) => api.get(muni(ctx.code, "/privacy/requests"), { cursor }), (items) => table([
    ["Ingreso", (r) => fechaHora(r.filed_at)],
    ["Tipo", (r) => KINDS[r.kind] || r.kind],
    ["Titular", (r) => h("div", { class: "cell-2" }, h("strong", { text: r.name }), h("small", { class: "mono", text: r.rut }))],
    ["Plazo", (r) => r.overdue ? badge(`Vencido ${fecha(r.due_on)}`, "bad") : fecha(r.due_on)],
    ["Estado", (r) => r.status === "open" ? badge("Abierta", "warn") : badge(OUTCOMES[r.outcome] || "Cerrada", "ok")],
    ["", (r) => h("a", { href: `#/derechos/${encodeURIComponent(r.request_id)}`, class: "btn btn-small", text: "Abrir" })],
  ], items, { empty: "No hay solicitudes." }), { label: "solicitudes" });
  root.append(newRequest(ctx, () => list.reload()), card("Solicitudes", list.node));
}

function newRequest(ctx, reload) {
  const slot = statusSlot();
  const kind = select("kind", Object.entries(KINDS), "access");
  const rut = h("input", { id: "rights-rut", required: true, autocomplete: "off", placeholder: "12.345.678-5" });
  const name = h("input", { id: "rights-name", required: true, minlength: 3, autocomplete: "off" });
  const contact = h("input", { id: "rights-contact", required: true, minlength: 3, autocomplete: "off", placeholder: "correo o dirección" });
  const method = select("identity_method", Object.entries(METHODS), "cedula_presencial");
  const verified = h("input", { type: "checkbox", id: "rights-verified" });
  const save = h("button", { type: "submit", class: "btn btn-primary", text: "Ingresar solicitud" });
  const form = h("form", { class: "stack", id: "rights-new", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const created = await api.post(muni(ctx.code, "/privacy/requests"), { kind: kind.value, rut: rut.value.trim(),
        name: name.value.trim(), contact: contact.value.trim(), identity_verified: verified.checked, identity_method: method.value });
      slot.ok(`Solicitud ingresada. Vence el ${fecha(created.due_on)}.`);
      form.reset();
      reload();
    });
  } },
  h("div", { class: "form-grid" }, field("Tipo", kind), field("RUN del titular", rut), field("Nombre", name), field("Respuesta a", contact),
    field("Identidad verificada con", method)),
  h("label", { class: "check" }, verified, " Verifiqué la identidad del titular o de su representante"),
  h("div", {}, save), slot.node);
  return card("Nueva solicitud", form);
}

async function detail(root, ctx, id) {
  const path = muni(ctx.code, `/privacy/requests/${encodeURIComponent(id)}`);
  const body = h("div");
  root.append(pageHeader("Solicitud de derechos", id, h("a", { href: "#/derechos", class: "btn btn-ghost", text: "← Volver" })), body);
  const show = () => load(body, api.get(path), (r) => {
    const slot = statusSlot();
    const open = r.status === "open";
    const step = (label, suffix, payload, after) => {
      const button = h("button", { type: "button", class: "btn", text: label });
      button.addEventListener("click", () => busy(button, slot, async () => {
        const answer = await api.post(path + suffix, typeof payload === "function" ? payload() : payload);
        if (after) after(answer);
        show();
      }));
      return button;
    };
    const actions = [];
    if (open && (r.kind === "access" || r.kind === "portability")) {
      actions.push(step("Generar y descargar datos (JSON)", "/export", {}, (document) => {
        const link = h("a", { download: `datos-${id}.json`, href: URL.createObjectURL(new Blob([JSON.stringify(document, null, 2)], { type: "application/json" })) });
        link.click();
      }));
    }
    if (open && r.kind === "rectification") {
      const email = h("input", { type: "email", id: "rectify-email", autocomplete: "off" });
      const name = h("input", { id: "rectify-name", autocomplete: "off" });
      actions.push(field("Correo rectificado", email), field("Nombre rectificado", name),
        step("Rectificar", "/rectify", () => Object.fromEntries(Object.entries({ email: email.value.trim(), name: name.value.trim() }).filter(([, v]) => v))));
    }
    if (open && r.kind === "suppression") actions.push(step("Suprimir lo que la ley no obliga a conservar", "/suppress", {}));
    if (open && r.kind === "opposition") actions.push(step("Registrar oposición", "/opposition", {}));
    if (open && !r.extended_on) {
      const reason = h("input", { id: "extend-reason", autocomplete: "off" });
      actions.push(field("Motivo de la prórroga", reason), step("Prorrogar 30 días", "/extend", () => ({ reason: reason.value.trim() })));
    }
    if (open) {
      const outcome = select("outcome", Object.entries(OUTCOMES), "done");
      const reason = h("input", { id: "close-reason", autocomplete: "off" });
      actions.push(field("Respuesta", outcome), field("Fundamento (obligatorio si deniega)", reason),
        step("Cerrar solicitud", "/close", () => ({ outcome: outcome.value, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) })));
    }
    body.append(h("div", {}, card("Datos", facts([
      ["Tipo", KINDS[r.kind] || r.kind], ["Titular", `${r.name} (${r.rut})`], ["Respuesta a", r.contact],
      ["Identidad verificada con", METHODS[r.identity_method] || r.identity_method], ["Ingresada", fechaHora(r.filed_at)],
      ["Vence", fecha(r.due_on)], ["Estado", open ? "Abierta" : (OUTCOMES[r.outcome] || "Cerrada")],
    ])), open ? card("Tramitar", h("div", { class: "stack" }, ...actions, slot.node)) : null,
    card("Pasos", table([
      ["Fecha", (e) => fechaHora(e.at)], ["Paso", (e) => STEPS[e.type] || e.type], ["Funcionario", (e) => e.actor],
      ["Detalle", (e) => h("small", { class: "mono", text: JSON.stringify(e.detail) })],
    ], r.events || []))));
  });
  show();
}
