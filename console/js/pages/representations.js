/** Representantes de empresas (flotas): a treasury official registers who represents a company,
 * after checking the deed or power of attorney, and revokes it (docs/citizens.md, "Flotas"). Each
 * change is audited in the municipality's log. */

import { api, muni } from "../api.js";
import { h, field } from "../dom.js";
import { busy, card, pageHeader, statusSlot } from "../ui.js";

export async function render(root, ctx) {
  const company = h("input", { type: "text", id: "rep-company", placeholder: "76.543.210-3", autocomplete: "off" });
  const name = h("input", { type: "text", id: "rep-company-name", placeholder: "Razón social" });
  const run = h("input", { type: "text", id: "rep-run", placeholder: "12.345.678-5", autocomplete: "off" });
  const deed = h("input", { type: "text", id: "rep-deed", placeholder: "Escritura o poder: notaría, fecha, repertorio" });
  const slot = statusSlot();
  const save = h("button", { class: "btn btn-primary", type: "submit", id: "rep-register", text: "Registrar representante" });
  const revokeButton = h("button", { class: "btn", type: "button", id: "rep-revoke", text: "Revocar representación" });
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const saved = await api.post(muni(ctx.code, "/representations"), {
        company_rut: company.value, company_name: name.value, representative_run: run.value, deed: deed.value });
      slot.ok(`Registrado: ${saved.representative_run} representa a ${saved.company_name} (${saved.company_rut}).`);
    });
  } }, h("div", { class: "filters-grid" }, field("RUT de la empresa", company), field("Razón social", name),
    field("RUN del representante", run), field("Escritura o poder revisado", deed)),
  h("div", { class: "actions" }, save, revokeButton));
  revokeButton.addEventListener("click", () => busy(revokeButton, slot, async () => {
    const revoked = await api.post(muni(ctx.code, "/representations/revoke"), {
      company_rut: company.value, representative_run: run.value });
    slot.ok(`Revocada la representación de ${revoked.representative_run} para ${revoked.company_rut}.`);
  }));
  root.append(pageHeader("Representantes de empresas", "Quién puede pagar la flota de una empresa con su ClaveÚnica"),
    card(null, h("p", { text: "Registre la representación solo después de revisar la escritura o el poder vigente. " +
      "Cada registro y revocación queda en la auditoría de la municipalidad." }), form, slot.node));
}
