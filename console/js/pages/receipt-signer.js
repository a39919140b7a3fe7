/** Firmante de comprobantes: who signs the municipality's receipts. The administrador municipal
 * designates one of its active officials with a profile that authorizes payments; the receipt
 * certificate carries that official's RUN as registered on the account (never typed here).
 * Without a designation, receipts are signed by the platform's labelled default. docs/receipts.md */

import { api, muni } from "../api.js";
import { h, field, select, replace } from "../dom.js";
import { PERFILES, fechaHora, rut } from "../format.js";
import { badge, busy, card, errorBox, facts, loading, notice, pageHeader, statusSlot } from "../ui.js";

export async function render(root, ctx) {
  root.append(pageHeader("Firmante de comprobantes", `Municipalidad de ${ctx.municipalityName || ctx.code}`));
  const body = h("div", {}, loading());
  root.append(body);
  await show(body, ctx);
}

async function show(body, ctx) {
  let current;
  try {
    current = await api.get(muni(ctx.code, "/receipt-signer"));
  } catch (error) {
    replace(body, errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  const d = current.designated;
  const state = h("span", { id: "signer-state", dataset: { email: d ? d.email : "" } },
    d ? badge("Designado", "ok") : badge("Sin designar", "warn"));
  const summary = card("Firmante actual",
    facts([
      ["Estado", state],
      d && ["Nombre", h("span", { id: "signer-name", text: d.name })],
      d && ["RUN", h("span", { id: "signer-run", text: rut(d.run) })],
      d && ["Perfil", d.profile_name || PERFILES[d.profile] || d.profile],
      d && ["Correo", d.email],
      d && ["Designado", `${fechaHora(d.designated_at)} por ${d.designated_by}`],
    ]),
    d ? null : notice("Los comprobantes se firman con el firmante por defecto de la plataforma. En producción, la plataforma no firma con el RUN de demostración: designe a su firmante.", "warn"));
  const parts = [summary];
  if (ctx.can("settings.receipt_signer")) parts.push(await designateCard(body, ctx, current));
  replace(body, ...parts);
}

async function designateCard(body, ctx, current) {
  const slot = statusSlot();
  let candidates = [];
  try {
    const page = await api.get(muni(ctx.code, "/officials"), { limit: 200 });
    const eligible = new Set(current.eligible_profiles || []);
    candidates = page.items.filter((o) => o.status === "active" && eligible.has(o.profile) && o.run);
  } catch (error) {
    return card("Designar firmante", errorBox(error));
  }
  if (!candidates.length) {
    return card("Designar firmante", notice("No hay funcionarios activos con un perfil que autoriza pagos y RUN registrado.", "info"));
  }
  const chosen = current.designated ? current.designated.email : candidates[0].email;
  const who = select("email", candidates.map((o) => [o.email, `${o.name} · ${PERFILES[o.profile] || o.profile} · RUN ${rut(o.run)}`]), chosen);
  who.id = "signer-email";
  const save = h("button", { type: "submit", class: "btn btn-primary", id: "signer-save", text: "Designar" });
  const form = h("form", { class: "stack", id: "signer-form", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const answer = await api.put(muni(ctx.code, "/receipt-signer"), { email: who.value, version: current.version });
      await show(body, ctx);
      body.prepend(notice(`Desde ahora los comprobantes los firma ${answer.designated.name} (RUN ${rut(answer.designated.run)}).`, "success"));
    });
  } },
  h("p", { class: "muted", text: "Solo un funcionario activo con un perfil que autoriza pagos. Su certificado llevará el RUN registrado en su cuenta." }),
  field("Funcionario", who), h("div", {}, save), slot.node);
  return card("Designar firmante", form);
}
