/** Municipalidades (SUBDERE): the platform's municipalities, their agreement and enabling, and
 * onboarding a new one (with its first administrador municipal). */

import { api } from "../api.js";
import { h, field, select } from "../dom.js";
import { CONVENIO, SERVICIOS, fecha } from "../format.js";
import { badge, busy, card, pageHeader, pager, statusSlot, table } from "../ui.js";

export async function render(root, ctx) {
  const canEdit = ctx.can("municipalities.edit");
  const slot = statusSlot();
  root.append(pageHeader("Municipalidades", "Convenios con SUBDERE y habilitación en la plataforma"));
  if (ctx.can("municipalities.onboard")) root.append(onboardCard(() => list.reload()));
  const list = pager((cursor) => api.get("/v1/admin/central/municipalities", { limit: 50, cursor }), (items) => table([
    ["Código", (m) => h("span", { class: "mono", text: m.code })],
    ["Municipalidad", (m) => h("div", { class: "cell-2" }, h("strong", { text: m.name }), h("small", { text: m.region }))],
    ["Servicios", (m) => (m.services || []).map((s) => SERVICIOS[s] || s).join(", ")],
    ["Convenio", (m) => m.agreement ? h("div", { class: "cell-2" },
      badge(CONVENIO[m.agreement.status] || m.agreement.status, m.agreement.status === "in_force" ? "ok" : "warn"),
      m.agreement.valid_until ? h("small", { text: `hasta ${fecha(m.agreement.valid_until)}` }) : null) : badge("Sin registrar", "neutral")],
    ["Habilitada", (m) => m.enabled ? badge("Sí", "ok") : badge("No", "bad")],
    ["", (m) => canEdit ? editor(m, slot, () => list.reload()) : null],
  ], items, { empty: "No hay municipalidades." }), { label: "municipalidades" });
  root.append(slot.node, card("Municipalidades de la plataforma", list.node));
}

function editor(m, slot, reload) {
  const agreement = m.agreement || {};
  const status = select("status", Object.entries(CONVENIO), agreement.status || "negotiating");
  const until = h("input", { type: "date", value: agreement.valid_until || "", "aria-label": "Vigente hasta" });
  const enabled = h("input", { type: "checkbox", checked: Boolean(m.enabled) });
  const save = h("button", { type: "submit", class: "btn btn-small btn-primary", text: "Guardar" });
  const form = h("form", { class: "stack", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const body = { agreement: { status: status.value, ...(until.value ? { valid_until: until.value } : {}) }, enabled: enabled.checked };
      await api.patch(`/v1/admin/central/municipalities/${encodeURIComponent(m.code)}`, body);
      slot.ok(`${m.name}: convenio y habilitación actualizados.`);
      reload();
    });
  } }, field("Convenio", status), field("Vigente hasta", until), h("label", { class: "check" }, enabled, "Habilitada"), h("div", {}, save));
  return h("details", {}, h("summary", { class: "btn btn-small", text: "Editar" }), form);
}

function onboardCard(reload) {
  const slot = statusSlot();
  const f = {
    code: h("input", { id: "onb-code", pattern: "\\d{5}", maxlength: 5, required: true, placeholder: "13120" }),
    name: h("input", { id: "onb-name", required: true, placeholder: "Ñuñoa" }),
    legal: h("input", { id: "onb-legal", required: true, placeholder: "Ilustre Municipalidad de Ñuñoa" }),
    region: h("input", { id: "onb-region", required: true, placeholder: "Región Metropolitana de Santiago" }),
    address: h("input", { id: "onb-address" }),
    zone: select("zone", [["", "Ninguna"], ["zona_extrema", "Zona extrema"], ["zona_franca", "Zona franca"]], ""),
    status: select("agreement", Object.entries(CONVENIO), "negotiating"),
    until: h("input", { type: "date", id: "onb-until" }),
    reference: h("input", { id: "onb-ref", placeholder: "Res. Exenta N° …" }),
    adminEmail: h("input", { type: "email", id: "onb-admin-email" }),
    adminName: h("input", { id: "onb-admin-name" }),
    adminRun: h("input", { id: "onb-admin-run", autocomplete: "off", placeholder: "12.345.678-5" }),
  };
  const services = Object.entries(SERVICIOS).map(([k, label]) => h("label", { class: "check" }, h("input", { type: "checkbox", value: k, checked: true }), label));
  const enabled = h("input", { type: "checkbox" });
  const save = h("button", { type: "submit", class: "btn btn-primary", text: "Incorporar municipalidad" });
  const form = h("form", { class: "stack", id: "onboard-form", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const body = {
        code: f.code.value.trim(), name: f.name.value.trim(), legal_name: f.legal.value.trim(), region: f.region.value.trim(),
        services: services.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value),
        agreement: { status: f.status.value, ...(f.until.value ? { valid_until: f.until.value } : {}),
          ...(f.reference.value.trim() ? { reference: f.reference.value.trim() } : {}) },
        enabled: enabled.checked,
      };
      if (f.address.value.trim()) body.address = f.address.value.trim();
      if (f.zone.value) body.zone = f.zone.value;
      if (f.adminEmail.value.trim()) body.first_admin = { email: f.adminEmail.value.trim().toLowerCase(), name: f.adminName.value.trim(), run: f.adminRun.value.trim() };
      await api.post("/v1/admin/central/municipalities", body);
      slot.ok(`Municipalidad ${body.name} (${body.code}) incorporada.`);
      form.reset();
      reload();
    });
  } },
  h("div", { class: "form-grid" }, field("Código CUT", f.code), field("Nombre", f.name), field("Razón social", f.legal),
    field("Región", f.region), field("Dirección", f.address), field("Zona", f.zone)),
  h("fieldset", {}, h("legend", { text: "Servicios" }), services),
  h("div", { class: "form-grid" }, field("Estado del convenio", f.status), field("Vigente hasta", f.until), field("Referencia del convenio", f.reference)),
  h("div", { class: "form-grid" }, field("Primer administrador: correo", f.adminEmail), field("Primer administrador: nombre", f.adminName),
    field("Primer administrador: RUN", f.adminRun)),
  h("label", { class: "check" }, enabled, "Habilitar de inmediato (el portal cobra solo con convenio vigente)"),
  h("div", {}, save), slot.node);
  return h("details", { class: "card" }, h("summary", { class: "card-title", text: "Incorporar una municipalidad" }), form);
}
