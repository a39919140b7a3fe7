/** The treasury's alert for reversals (contracargos): TGR took a payment's money back and nobody
 * has looked into it yet. Shown at the top of the panel and of Devoluciones to whoever reads
 * refunds; whoever proposes refunds records what was done, and the alert goes (audited). */

import { api, muni } from "../api.js";
import { h, field } from "../dom.js";
import { fechaHora, pesos } from "../format.js";
import { busy, statusSlot } from "../ui.js";

/** A node that fills itself with the open reversals (nothing at all when there are none). */
export function reversalAlerts(ctx) {
  const box = h("section", { id: "reversal-alerts", "aria-live": "polite" });
  if (!ctx.code || !ctx.can("refunds.read")) return box;
  show(box, ctx);
  return box;
}

async function show(box, ctx) {
  let data;
  try {
    data = await api.get(muni(ctx.code, "/reversals/open"));
  } catch {
    return; // an alert that cannot load stays silent: the refunds page lists every reversal anyway
  }
  if (!ctx.alive() || !data.items.length) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(h("div", { class: "alert alert-warn", role: "alert" },
    h("strong", { text: data.items.length === 1 ? "Hay 1 contracargo sin revisar"
      : `Hay ${data.items.length} contracargos sin revisar` }),
    h("p", { text: "La Tesorería reversó estos pagos a pedido del medio de pago: el dinero volvió al contribuyente, el comprobante quedó anulado y la deuda o el permiso vuelven a estar impagos." }),
    ...data.items.map((reversal) => row(reversal, box, ctx))));
}

function row(reversal, box, ctx) {
  const slot = statusSlot();
  const item = h("article", { class: "item reversal-alert", dataset: { reversal: reversal.reversal_id } },
    h("div", { class: "item-head" },
      h("div", {}, h("strong", { text: `${pesos(reversal.amount)} · pago ${reversal.payment_id}` }),
        h("small", { text: `${reversal.reason_text} · ${fechaHora(reversal.created_at)}` })),
      h("a", { href: `#/pagos/${encodeURIComponent(reversal.payment_id)}`, text: "Ver pago" })));
  if (ctx.can("refunds.propose")) {
    const note = h("input", { type: "text", name: "note", maxlength: "500", required: true,
      placeholder: "Qué se hizo (p. ej., se contactó al contribuyente)" });
    const button = h("button", { type: "submit", class: "btn btn-small", text: "Marcar revisado" });
    const form = h("form", { class: "inline-form", onsubmit: (event) => {
      event.preventDefault();
      busy(button, slot, async () => {
        await api.post(muni(ctx.code, `/payments/${encodeURIComponent(reversal.payment_id)}/reversals/${encodeURIComponent(reversal.reversal_id)}/acknowledge`),
          { note: note.value });
        await show(box, ctx);
      });
    } }, field("Revisión", note), button);
    item.append(form);
  }
  item.append(slot.node);
  return item;
}
