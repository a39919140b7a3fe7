/** Funcionarios: the municipality's officials; the administrador municipal creates them, changes
 * their profile and deactivates (or reactivates) them. */

import { api, muni } from "../api.js";
import { h, field, select } from "../dom.js";
import { PERFILES, PERFILES_MUNICIPALES, fechaHora } from "../format.js";
import { badge, busy, card, pageHeader, pager, statusSlot, table } from "../ui.js";

export async function render(root, ctx) {
  const manage = ctx.can("officials.manage");
  root.append(pageHeader("Funcionarios", `Municipalidad de ${ctx.municipalityName || ctx.code}`));
  const slot = statusSlot();
  const list = pager((cursor) => api.get(muni(ctx.code, "/officials"), { limit: 50, cursor }),
    (items) => table([
      ["Nombre", (o) => h("div", { class: "cell-2" }, h("strong", { text: o.name }), h("small", { text: o.email }))],
      ["Perfil", (o) => manage && o.email !== ctx.me.email ? profileEditor(ctx, o, slot, () => list.reload()) : (o.profile_name || PERFILES[o.profile])],
      ["Estado", (o) => o.status === "active" ? badge("Activo", "ok") : badge("Inactivo", "neutral")],
      ["2º factor", (o) => o.totp_required ? "Obligatorio" : "—"],
      ["Actualizado", (o) => fechaHora(o.updated_at || o.created_at)],
      ["", (o) => manage && o.email !== ctx.me.email ? statusButton(ctx, o, slot, () => list.reload()) : (o.email === ctx.me.email ? h("small", { class: "muted", text: "(usted)" }) : null)],
    ], items, { empty: "No hay funcionarios." }), { label: "funcionarios" });
  if (manage) root.append(createCard(ctx, () => list.reload()));
  root.append(slot.node, card("Funcionarios de la municipalidad", list.node));
}

function profileEditor(ctx, official, slot, reload) {
  const choice = select("profile", PERFILES_MUNICIPALES.map((p) => [p, PERFILES[p]]), official.profile);
  choice.setAttribute("aria-label", `Perfil de ${official.email}`);
  const save = h("button", { type: "button", class: "btn btn-small", text: "Cambiar" });
  save.hidden = true;
  choice.addEventListener("change", () => { save.hidden = choice.value === official.profile; });
  save.addEventListener("click", () => busy(save, slot, async () => {
    await api.patch(muni(ctx.code, `/officials/${encodeURIComponent(official.email)}`), { profile: choice.value });
    slot.ok(`Perfil de ${official.email} cambiado a ${PERFILES[choice.value]}. Su sesión terminó: ingresará de nuevo con el perfil nuevo.`);
    reload();
  }));
  return h("div", { class: "color-row" }, choice, save);
}

function statusButton(ctx, official, slot, reload) {
  const active = official.status === "active";
  const button = h("button", { type: "button", class: active ? "btn btn-small btn-danger" : "btn btn-small",
    text: active ? "Desactivar" : "Reactivar" });
  button.addEventListener("click", () => {
    if (active && !window.confirm(`¿Desactivar a ${official.name}? Perderá el acceso y su sesión terminará de inmediato.`)) return;
    busy(button, slot, async () => {
      await api.patch(muni(ctx.code, `/officials/${encodeURIComponent(official.email)}`), { status: active ? "inactive" : "active" });
      slot.ok(active ? `${official.email} fue desactivado(a).` : `${official.email} fue reactivado(a).`);
      reload();
    });
  });
  return button;
}

function createCard(ctx, reload) {
  const slot = statusSlot();
  const email = h("input", { type: "email", id: "new-official-email", required: true, autocomplete: "off" });
  const name = h("input", { id: "new-official-name", required: true, minlength: 3, autocomplete: "off" });
  const profile = select("profile", PERFILES_MUNICIPALES.map((p) => [p, PERFILES[p]]), "operador_rentas");
  const save = h("button", { type: "submit", class: "btn btn-primary", text: "Crear funcionario" });
  const form = h("form", { class: "stack", id: "new-official", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const created = await api.post(muni(ctx.code, "/officials"), {
        email: email.value.trim().toLowerCase(), name: name.value.trim(), profile: profile.value });
      slot.ok(`Se creó la cuenta de ${created.email || email.value}. Recibirá por correo una contraseña temporal que deberá cambiar al ingresar.`);
      form.reset();
      reload();
    });
  } },
  h("div", { class: "form-grid" }, field("Correo institucional", email), field("Nombre completo", name), field("Perfil", profile)),
  h("div", {}, save), slot.node);
  return card("Nuevo funcionario", form);
}
