/** Funcionarios: the municipality's officials; the administrador municipal creates them (with
 * their RUN), changes their profile and deactivates (or reactivates) them. Giving an account a
 * profile that authorizes payments (or reactivating such an account) is a proposal that the alcalde or SUBDERE approves (four eyes):
 * the pending ones are listed here, with approve / reject for whoever may decide them. */

import { api, muni } from "../api.js";
import { h, field, select, clear } from "../dom.js";
import { PERFILES, PERFILES_MUNICIPALES, fechaHora, rut } from "../format.js";
import { badge, busy, card, errorBox, loading, pageHeader, pager, statusSlot, table } from "../ui.js";

export async function render(root, ctx) {
  const manage = ctx.can("officials.manage");
  root.append(pageHeader("Funcionarios", `Municipalidad de ${ctx.municipalityName || ctx.code}`));
  const slot = statusSlot();
  const proposals = h("div", { id: "proposals" });
  const reloadAll = () => { list.reload(); showProposals(proposals, ctx, slot, () => list.reload()); };
  const list = pager((cursor) => api.get(muni(ctx.code, "/officials"), { limit: 50, cursor }),
    (items) => table([
      ["Nombre", (o) => h("div", { class: "cell-2" }, h("strong", { text: o.name }), h("small", { text: o.email }))],
      ["RUN", (o) => rut(o.run)],
      ["Perfil", (o) => manage && o.email !== ctx.me.email ? profileEditor(ctx, o, slot, reloadAll) : (o.profile_name || PERFILES[o.profile])],
      ["Estado", (o) => o.status === "active" ? badge("Activo", "ok") : badge("Inactivo", "neutral")],
      ["2º factor", (o) => o.totp_required ? "Obligatorio" : "—"],
      ["Actualizado", (o) => fechaHora(o.updated_at || o.created_at)],
      ["", (o) => manage && o.email !== ctx.me.email ? statusButton(ctx, o, slot, () => list.reload()) : (o.email === ctx.me.email ? h("small", { class: "muted", text: "(usted)" }) : null)],
    ], items, { empty: "No hay funcionarios." }), { label: "funcionarios" });
  if (manage) root.append(createCard(ctx, reloadAll));
  root.append(slot.node, card("Propuestas pendientes de aprobación", proposals), card("Funcionarios de la municipalidad", list.node));
  showProposals(proposals, ctx, slot, () => list.reload());
}

async function showProposals(target, ctx, slot, reloadOfficials) {
  clear(target).append(loading());
  let answer;
  try {
    answer = await api.get(muni(ctx.code, "/official-proposals"), { status: "pending" });
  } catch (error) {
    clear(target).append(errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  const decide = ctx.can("officials.approve");
  const reload = () => { showProposals(target, ctx, slot, reloadOfficials); reloadOfficials(); };
  clear(target).append(
    h("p", { class: "muted", text: "Dar a una cuenta un perfil que autoriza pagos requiere la aprobación del alcalde(sa) o de SUBDERE. La cuenta se crea o cambia de perfil solo al aprobarse." }),
    table([
      ["Funcionario", (p) => h("div", { class: "cell-2" }, h("strong", { text: p.name || p.email }), h("small", { text: p.email }))],
      ["RUN", (p) => rut(p.run)],
      ["Propuesta", (p) => p.kind === "create" ? `Crear como ${PERFILES[p.profile] || p.profile}`
        : p.kind === "reactivate" ? `Reactivar como ${PERFILES[p.profile] || p.profile}`
          : `Cambiar de ${PERFILES[p.from_profile] || p.from_profile} a ${PERFILES[p.profile] || p.profile}`],
      ["Propuesta por", (p) => h("div", { class: "cell-2" }, h("span", { text: p.proposed_by }), h("small", { text: fechaHora(p.proposed_at) }))],
      ["", (p) => decide && p.proposed_by !== ctx.me.email && p.email !== ctx.me.email
        ? decisionButtons(ctx, p, slot, reload) : h("small", { class: "muted", text: "Pendiente de aprobación" })],
    ], answer.items, { empty: "No hay propuestas pendientes." }));
  for (const row of target.querySelectorAll("tbody tr")) {
    const index = [...row.parentNode.children].indexOf(row);
    const proposal = answer.items[index];
    if (proposal) row.dataset.proposalId = proposal.proposal_id;
  }
}

function decisionButtons(ctx, proposal, slot, reload) {
  const path = muni(ctx.code, `/official-proposals/${encodeURIComponent(proposal.proposal_id)}`);
  const approve = h("button", { type: "button", class: "btn btn-small btn-primary", text: "Aprobar" });
  const reject = h("button", { type: "button", class: "btn btn-small btn-danger", text: "Rechazar" });
  approve.addEventListener("click", () => {
    if (!window.confirm(`¿Aprobar que ${proposal.email} sea ${PERFILES[proposal.profile] || proposal.profile}? Podrá autorizar pagos.`)) return;
    busy(approve, slot, async () => {
      await api.post(`${path}/approve`, {});
      slot.ok(`Aprobado: ${proposal.email} es ${PERFILES[proposal.profile] || proposal.profile}.`);
      reload();
    });
  });
  reject.addEventListener("click", () => busy(reject, slot, async () => {
    await api.post(`${path}/reject`, {});
    slot.ok(`Propuesta para ${proposal.email} rechazada.`);
    reload();
  }));
  return h("div", { class: "buttons" }, approve, reject);
}

function profileEditor(ctx, official, slot, reload) {
  const choice = select("profile", PERFILES_MUNICIPALES.map((p) => [p, PERFILES[p]]), official.profile);
  choice.setAttribute("aria-label", `Perfil de ${official.email}`);
  const save = h("button", { type: "button", class: "btn btn-small", text: "Cambiar" });
  save.hidden = true;
  choice.addEventListener("change", () => { save.hidden = choice.value === official.profile; });
  save.addEventListener("click", () => busy(save, slot, async () => {
    const answer = await api.patch(muni(ctx.code, `/officials/${encodeURIComponent(official.email)}`), { profile: choice.value });
    slot.ok(answer.status === "pending_approval"
      ? `Se propuso cambiar a ${official.email} a ${PERFILES[choice.value]}. Rige cuando el alcalde(sa) o SUBDERE lo apruebe.`
      : `Perfil de ${official.email} cambiado a ${PERFILES[choice.value]}. Su sesión terminó: ingresará de nuevo con el perfil nuevo.`);
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
      const answer = await api.patch(muni(ctx.code, `/officials/${encodeURIComponent(official.email)}`), { status: active ? "inactive" : "active" });
      slot.ok(active ? `${official.email} fue desactivado(a).`
        : answer.status === "pending_approval" ? `Se propuso reactivar a ${official.email}. Rige cuando el alcalde(sa) o SUBDERE lo apruebe.`
          : `${official.email} fue reactivado(a).`);
      reload();
    });
  });
  return button;
}

function createCard(ctx, reload) {
  const slot = statusSlot();
  const email = h("input", { type: "email", id: "new-official-email", required: true, autocomplete: "off" });
  const name = h("input", { id: "new-official-name", required: true, minlength: 3, autocomplete: "off" });
  const run = h("input", { id: "new-official-run", required: true, autocomplete: "off", placeholder: "12.345.678-5" });
  const profile = select("profile", PERFILES_MUNICIPALES.map((p) => [p, PERFILES[p]]), "operador_rentas");
  profile.id = "new-official-profile";
  const save = h("button", { type: "submit", class: "btn btn-primary", text: "Crear funcionario" });
  const form = h("form", { class: "stack", id: "new-official", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const created = await api.post(muni(ctx.code, "/officials"), {
        email: email.value.trim().toLowerCase(), name: name.value.trim(), run: run.value.trim(), profile: profile.value });
      slot.ok(created.status === "pending_approval"
        ? `Se propuso crear la cuenta de ${email.value.trim().toLowerCase()} como ${PERFILES[profile.value]}. Se creará cuando el alcalde(sa) o SUBDERE la apruebe.`
        : `Se creó la cuenta de ${created.email || email.value}. Recibirá por correo una contraseña temporal que deberá cambiar al ingresar.`);
      form.reset();
      reload();
    });
  } },
  h("div", { class: "form-grid" }, field("Correo institucional", email), field("Nombre completo", name),
    field("RUN", run, "Con dígito verificador. Quedará en su firma electrónica y no se puede cambiar después."),
    field("Perfil", profile, "Alcalde(sa), Director(a) de Finanzas, Tesorero(a) y subrogante autorizan pagos: su creación requiere una segunda aprobación.")),
  h("div", {}, save), slot.node);
  return card("Nuevo funcionario", form);
}
