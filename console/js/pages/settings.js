/**
 * Configuración: the receipt's branding (colours and texts, with a live preview of the receipt
 * header; logo upload), enabled services, permit discounts, portal origins, sender e-mail, and
 * the portal API keys (a new key is shown once). Each part saves on its own with the settings'
 * `version`, so two officials editing at once get a clear conflict instead of a lost change.
 */

import { api, muni, putFile } from "../api.js";
import { h, field, replace } from "../dom.js";
import { SERVICIOS, fechaHora } from "../format.js";
import { badge, busy, card, errorBox, facts, loading, notice, pageHeader, statusSlot, table } from "../ui.js";

// The platform's defaults (chalicelib/assets/branding/default.json): what a receipt uses where the
// municipality leaves a field empty. The settings API answers null for those fields.
const DEFAULTS = {
  primary_color: "#1F3A5F", secondary_color: "#C8A24A",
  header_text: "Dirección de Administración y Finanzas",
  footer_text: "Consultas sobre este comprobante: diríjase a la Tesorería Municipal indicando el folio.",
};
const HEX = /^#[0-9a-fA-F]{6}$/;

export async function render(root, ctx) {
  root.append(pageHeader("Configuración", `Municipalidad de ${ctx.municipalityName || ctx.code}`));
  const body = h("div", {}, loading());
  root.append(body);
  let settings;
  try {
    settings = await api.get(muni(ctx.code, "/settings"));
  } catch (error) {
    replace(body, errorBox(error));
    return;
  }
  const state = { settings };
  const rerender = (fresh) => {
    state.settings = fresh;
    replace(body, ...sections(ctx, state, rerender));
  };
  rerender(settings);
}

function sections(ctx, state, rerender) {
  return [
    brandingSection(ctx, state, rerender),
    h("div", { class: "grid-2" }, servicesSection(ctx, state, rerender), originsSection(ctx, state, rerender)),
    keysSection(ctx, state, rerender),
  ];
}

async function patch(ctx, state, changes) {
  return api.patch(muni(ctx.code, "/settings"), { version: state.settings.version, ...changes });
}

// -- branding & preview --------------------------------------------------------------------------

function brandingSection(ctx, state, rerender) {
  const s = state.settings;
  const b = s.branding || {};
  const editable = ctx.can("settings.branding");
  const slot = statusSlot();
  const logoUrl = { current: null };

  const colour = (name, label) => {
    const value = (b[name] || DEFAULTS[name]).toLowerCase();
    const picker = h("input", { type: "color", value, "aria-label": `${label} (selector)`, disabled: !editable });
    const text = h("input", { name, id: `branding-${name}`, value, maxlength: 7, spellcheck: "false", disabled: !editable,
      class: "mono" });
    picker.addEventListener("input", () => { text.value = picker.value; update(); });
    text.addEventListener("input", () => { if (HEX.test(text.value)) picker.value = text.value.toLowerCase(); update(); });
    return { text, node: h("div", { class: "field" }, h("label", { for: text.id, text: label }),
      h("div", { class: "color-row" }, picker, text)) };
  };
  const primary = colour("primary_color", "Color principal (franja superior, títulos)");
  const secondary = colour("secondary_color", "Color secundario (línea y bordes)");
  const displayName = h("input", { id: "branding-display_name", value: s.display_name || "", maxlength: 80,
    placeholder: `Municipalidad de ${s.name}`, disabled: !editable });
  const headerText = h("input", { id: "branding-header_text", value: b.header_text || "", maxlength: 120,
    placeholder: DEFAULTS.header_text, disabled: !editable });
  const footerText = h("textarea", { id: "branding-footer_text", maxlength: 300, placeholder: DEFAULTS.footer_text,
    disabled: !editable, text: b.footer_text || "" });
  for (const input of [displayName, headerText, footerText]) input.addEventListener("input", update);

  const preview = receiptPreview();
  function values() {
    return {
      primary: HEX.test(primary.text.value) ? primary.text.value : DEFAULTS.primary_color,
      secondary: HEX.test(secondary.text.value) ? secondary.text.value : DEFAULTS.secondary_color,
      name: displayName.value.trim() || `Municipalidad de ${s.name}`,
      legal: `Ilustre Municipalidad de ${s.name}`,
      header: headerText.value.trim() || DEFAULTS.header_text,
      footer: footerText.value.trim() || DEFAULTS.footer_text,
      logo: logoUrl.current,
    };
  }
  function update() {
    preview.paint(values());
  }

  const save = h("button", { type: "submit", class: "btn btn-primary", id: "branding-save", text: "Guardar imagen", disabled: !editable });
  const form = h("form", { class: "stack", id: "branding-form", onsubmit: (event) => {
    event.preventDefault();
    for (const c of [primary, secondary]) {
      if (!HEX.test(c.text.value)) {
        slot.fail({ message: "Los colores deben tener la forma #RRGGBB.", field: `branding.${c.text.name}` });
        return;
      }
    }
    busy(save, slot, async () => {
      const fresh = await patch(ctx, state, {
        display_name: displayName.value.trim() || null,
        branding: {
          primary_color: primary.text.value.toLowerCase(), secondary_color: secondary.text.value.toLowerCase(),
          header_text: headerText.value.trim(), footer_text: footerText.value.trim(),
        },
      });
      state.settings = fresh;
      slot.ok(`Imagen guardada (versión ${fresh.version}). Los próximos comprobantes la usarán.`);
    });
  } },
  editable ? null : notice("Su perfil puede ver la imagen del comprobante, pero no cambiarla.", "info"),
  h("div", { class: "form-grid" }, primary.node, secondary.node),
  field("Nombre a mostrar", displayName, "Vacío: \u201cMunicipalidad de " + s.name + "\u201d."),
  field("Texto del encabezado", headerText, "Hasta 120 caracteres, bajo el nombre."),
  field("Texto del pie", footerText, "Hasta 300 caracteres."),
  h("div", { class: "buttons" }, save,
    editable ? h("button", { type: "button", class: "btn btn-ghost", text: "Usar colores de la plataforma", onclick: () => {
      primary.text.value = DEFAULTS.primary_color.toLowerCase();
      secondary.text.value = DEFAULTS.secondary_color.toLowerCase();
      primary.text.dispatchEvent(new Event("input"));
      secondary.text.dispatchEvent(new Event("input"));
    } }) : null),
  slot.node);

  const logo = logoSection(ctx, state, editable, (url) => { logoUrl.current = url; update(); });
  update();
  return h("section", { class: "card" }, h("h2", { class: "card-title", text: "Imagen del comprobante" }),
    h("div", { class: "settings-layout" },
      h("div", {}, form, logo),
      h("div", { class: "preview-wrap" }, h("h3", { class: "preview-title", text: "Vista previa del comprobante" }),
        h("p", { class: "hint", text: "Se actualiza mientras escribe; así se verá el encabezado del PDF." }), preview.node)));
}

/** The receipt's header as the PDF draws it (chalicelib/documents/receipt_pdf.py), in HTML. */
function receiptPreview() {
  const logoBox = h("div", { class: "receipt-logo" });
  const name = h("div", { class: "receipt-name" });
  const legal = h("div", { class: "receipt-legal" });
  const header = h("div", { class: "receipt-header-text" });
  const band = h("div", { class: "receipt-band", id: "preview-band" }, logoBox, h("div", {}, name, legal, header));
  const strip = h("div", { class: "receipt-strip", id: "preview-strip" });
  const title = h("div", { class: "receipt-title", text: "Comprobante de pago" });
  const folio = h("div", { class: "receipt-folio" }, h("small", { text: "FOLIO N°" }), h("strong", { text: "13101-2027-000123" }));
  const sections = [h("div", { class: "receipt-section", text: "DATOS DEL CONTRIBUYENTE" }),
    h("div", { class: "receipt-row" }, h("span", { text: "María Pérez Soto" }), h("span", { text: "12.345.678-5" })),
    h("div", { class: "receipt-section", text: "DETALLE DEL PAGO" })];
  const tableHead = h("div", { class: "receipt-row receipt-row-head" }, h("strong", { text: "Concepto" }), h("strong", { text: "Monto" }));
  const row = h("div", { class: "receipt-row" }, h("span", { text: "Permiso de circulación 2027, BBBB10" }), h("span", { text: "$105.908" }));
  const footer = h("div", { class: "receipt-footer" });
  const node = h("div", { class: "receipt", id: "receipt-preview", role: "img", "aria-label": "Vista previa del comprobante" },
    band, strip, h("div", { class: "receipt-body" },
      h("div", { class: "receipt-title-row" }, h("div", {}, title, h("small", { class: "muted", text: "Pago en línea de servicios municipales" })), folio),
      sections, tableHead, row), footer);
  let lastLogo;
  return {
    node,
    paint(v) {
      band.style.background = v.primary;
      node.dataset.primary = v.primary.toLowerCase();
      strip.style.background = v.secondary;
      title.style.color = v.primary;
      folio.style.borderColor = v.secondary;
      folio.style.background = tint(v.primary, 0.93);
      folio.lastChild.style.color = v.primary;
      for (const sec of sections.filter((x) => x.classList.contains("receipt-section"))) {
        sec.style.color = v.primary;
        sec.style.borderColor = v.secondary;
      }
      tableHead.style.background = tint(v.primary, 0.88);
      footer.style.borderColor = v.secondary;
      name.textContent = v.name;
      legal.textContent = v.legal;
      header.textContent = v.header;
      footer.textContent = v.footer;
      if (v.logo !== lastLogo || !logoBox.firstChild) {
        lastLogo = v.logo;
        logoBox.replaceChildren(v.logo ? h("img", { src: v.logo, alt: "Logo" }) : shield(v.primary));
      }
      const svg = logoBox.querySelector("svg path");
      if (svg) svg.setAttribute("fill", v.primary);
    },
  };
}

function shield(colour) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 40 44");
  svg.setAttribute("width", "44");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M20 2l16 6v12c0 11-7 18-16 22C11 38 4 31 4 20V8z");
  path.setAttribute("fill", colour);
  svg.append(path);
  return svg;
}

/** A colour mixed with white (`amount` of white), as the PDF tints its boxes. */
function tint(hex, amount) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * amount);
  return `rgb(${mix(n >> 16)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

function logoSection(ctx, state, editable, onPreview) {
  const s = state.settings;
  const slot = statusSlot();
  const input = h("input", { type: "file", id: "logo-file", accept: "image/png", disabled: !editable });
  const upload = h("button", { type: "button", class: "btn", id: "logo-upload", text: "Subir logo", disabled: true });
  input.addEventListener("change", () => {
    const file = input.files[0];
    upload.disabled = !file;
    slot.clear();
    if (!file) return;
    if (file.type && file.type !== "image/png") slot.fail({ message: "El logo debe ser un archivo PNG." });
    else if (file.size > 512 * 1024) slot.fail({ message: "El logo puede pesar a lo más 512 KB." });
    onPreview(URL.createObjectURL(file));
  });
  upload.addEventListener("click", () => busy(upload, slot, async () => {
    const file = input.files[0];
    const started = await api.post(muni(ctx.code, "/settings/logo-upload"), { content_length: file.size });
    await putFile(started.upload_url, file, started.headers);
    const fresh = await api.post(muni(ctx.code, "/settings/logo"), { upload_id: started.upload_id });
    state.settings = fresh;
    slot.ok("Logo actualizado: los próximos comprobantes lo usarán.");
  }));
  const current = s.logo
    ? `Logo actual: PNG ${s.logo.width}×${s.logo.height} px, ${Math.round(s.logo.bytes / 1024)} KB, cargado ${fechaHora(s.logo.updated_at)}.`
    : "Sin logo propio: el comprobante usa el escudo de la plataforma.";
  return h("fieldset", { class: "logo-box" }, h("legend", { text: "Logo" }),
    h("p", { class: "hint", text: current }),
    editable ? h("div", { class: "stack" },
      field("Archivo PNG (32 a 2000 px por lado, hasta 512 KB)", input), h("div", {}, upload)) : null,
    slot.node);
}

// -- services, discounts, origins, sender -----------------------------------------------------------

function servicesSection(ctx, state, rerender) {
  const s = state.settings;
  const editable = ctx.can("settings.edit");
  const slot = statusSlot();
  const boxes = Object.entries(SERVICIOS).map(([key, label]) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "services", value: key, checked: s.services.includes(key),
      disabled: !editable }), label));
  const discount = s.permit_discounts || {};
  const percent = h("input", { id: "discount-percent", value: discount.tasacion_percent || "", placeholder: "p. ej. 50",
    inputmode: "decimal", disabled: !editable });
  const reason = h("input", { id: "discount-reason", value: discount.tasacion_percent_reason || "", disabled: !editable,
    placeholder: "Fundamento legal (zona extrema, zona franca…)" });
  const save = h("button", { type: "submit", class: "btn btn-primary", text: "Guardar servicios", disabled: !editable });
  return card("Servicios y descuentos", h("form", { class: "stack", id: "services-form", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const services = boxes.map((l) => l.firstChild).filter((b) => b.checked).map((b) => b.value);
      const changes = { services };
      const p = percent.value.trim().replace(",", ".");
      if (p || discount.tasacion_percent) {
        changes.permit_discounts = p ? { tasacion_percent: p, tasacion_percent_reason: reason.value.trim() } : null;
      }
      const fresh = await patch(ctx, state, changes);
      rerender(fresh);
    });
  } },
  h("fieldset", {}, h("legend", { text: "Servicios habilitados en el portal" }), boxes),
  h("fieldset", {}, h("legend", { text: "Permiso de circulación: porcentaje de la tasación" }),
    h("div", { class: "stack" }, field("Porcentaje (vacío: sin descuento)", percent), field("Fundamento", reason))),
  editable ? h("div", {}, save) : null, slot.node));
}

function originsSection(ctx, state, rerender) {
  const s = state.settings;
  const editable = ctx.can("settings.edit");
  const slot = statusSlot();
  const origins = h("textarea", { id: "origins", rows: 4, disabled: !editable, text: s.origins.join("\n"),
    placeholder: "https://www.municipio.cl" });
  const sender = h("input", { id: "sender-email", type: "email", value: s.sender_email || "", disabled: !editable });
  const save = h("button", { type: "submit", class: "btn btn-primary", text: "Guardar portal y correo", disabled: !editable });
  const agreement = s.agreement || {};
  return card("Portal y correo", h("form", { class: "stack", id: "origins-form", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const list = origins.value.split(/\s+/).map((o) => o.trim()).filter(Boolean);
      const changes = { origins: list };
      if (sender.value.trim() && sender.value.trim() !== s.sender_email) changes.sender_email = sender.value.trim();
      rerender(await patch(ctx, state, changes));
    });
  } },
  field("Orígenes del sitio municipal (uno por línea)", origins, "https://host[:puerto], sin ruta; hasta 10."),
  field("Correo remitente de los comprobantes", sender),
  facts([["Convenio", agreement.status ? `${{ in_force: "vigente", negotiating: "en negociación", suspended: "suspendido", terminated: "terminado" }[agreement.status] || agreement.status}${agreement.valid_until ? ` hasta ${agreement.valid_until.split("-").reverse().join("-")}` : ""}` : "—"]]),
  editable ? h("div", {}, save) : null, slot.node));
}

// -- portal keys ------------------------------------------------------------------------------------

function keysSection(ctx, state, rerender) {
  const s = state.settings;
  const can = ctx.can("settings.portal_keys");
  const slot = statusSlot();
  const shown = h("div", { id: "new-key" });
  const revoke = h("input", { type: "checkbox", id: "revoke-others", checked: true });
  const rotate = h("button", { type: "button", class: "btn btn-danger", id: "rotate-key", text: "Emitir clave nueva" });
  rotate.addEventListener("click", () => {
    const question = revoke.checked
      ? "Se emitirá una clave nueva y las claves activas dejarán de funcionar de inmediato. ¿Continuar?"
      : "Se emitirá una clave nueva; las actuales seguirán activas. ¿Continuar?";
    if (!window.confirm(question)) return;
    busy(rotate, slot, async () => {
      const result = await api.post(muni(ctx.code, "/portal-keys"), { revoke_others: revoke.checked });
      const fresh = await api.get(muni(ctx.code, "/settings"));
      state.settings = fresh;
      const copy = h("button", { type: "button", class: "btn btn-small", text: "Copiar", onclick: async () => {
        try { await navigator.clipboard.writeText(result.api_key); copy.textContent = "Copiada"; } catch { copy.textContent = "Seleccione y copie"; }
      } });
      shown.replaceChildren(notice(result.notice || "Guarde esta clave ahora: no se volverá a mostrar.", "warn"),
        h("div", { class: "key-once", id: "new-key-value", text: result.api_key }), h("div", { class: "buttons" }, copy),
        result.revoked && result.revoked.length ? h("p", { class: "hint", text: `Revocadas: ${result.revoked.join(", ")}` }) : null);
      listSlot.replaceChildren(keysTable(fresh.portal_keys));
    });
  });
  const listSlot = h("div", {}, keysTable(s.portal_keys));
  return card("Claves del portal (X-Api-Key)",
    h("p", { class: "hint", text: "El sitio web municipal usa esta clave para llamar a la API de SEM. Solo se guarda su huella: una clave nueva se muestra una sola vez." }),
    listSlot,
    can ? h("div", { class: "buttons" }, rotate, h("label", { class: "check" }, revoke, "Revocar las claves activas anteriores")) : null,
    slot.node, shown);
}

function keysTable(keys) {
  return table([
    ["Clave", (k) => h("span", { class: "mono", text: k.key_id })],
    ["Estado", (k) => k.status === "active" ? badge("Activa", "ok") : badge("Revocada", "neutral")],
    ["Creada", (k) => fechaHora(k.created_at)],
    ["Revocada", (k) => k.revoked_at ? fechaHora(k.revoked_at) : "—"],
  ], keys || [], { empty: "No hay claves." });
}
