/** UTM e IPC: the monthly tables every computation reads (GET), set by SUBDERE (PUT per month). */

import { api } from "../api.js";
import { h, field } from "../dom.js";
import { pesos } from "../format.js";
import { badge, busy, card, errorBox, loading, pageHeader, statusSlot, table } from "../ui.js";

const MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];
const monthName = (m) => `${MONTHS[Number(m.slice(5, 7)) - 1]} ${m.slice(0, 4)}`;

export async function render(root, ctx) {
  const which = ctx.query.get("tabla") === "ipc" ? "ipc" : "utm";
  root.append(pageHeader("UTM e IPC", "Valores mensuales que usan los cálculos de permisos y reajustes"),
    h("div", { class: "chips tabs" },
      h("a", { class: "chip", href: "#/referencia?tabla=utm", "aria-current": which === "utm" ? "page" : null, text: "UTM (SII)" }),
      h("a", { class: "chip", href: "#/referencia?tabla=ipc", "aria-current": which === "ipc" ? "page" : null, text: "IPC (INE)" })));
  const body = h("div", {}, loading());
  root.append(body);
  if (ctx.can("reference.edit")) root.append(editCard(which, () => ctx.navigate("referencia", { tabla: which })));
  try {
    const data = await api.get(`/v1/admin/reference/${which}`);
    const rows = [...data.months].reverse();
    body.replaceChildren(card(which === "utm" ? "Unidad Tributaria Mensual" : "Variación mensual del IPC", table([
      ["Mes", (r) => monthName(r.month)],
      [which === "utm" ? "Valor" : "Variación", (r) => which === "utm" ? pesos(r.value) : `${String(r.variation_percent).replace(".", ",")}%`, "num"],
      ["Tipo", (r) => r.projected ? badge("Proyectado", "warn") : badge("Publicado", "ok")],
      ["Fuente", (r) => h("small", { text: r.source })],
    ], rows, { empty: "La tabla está vacía." })));
  } catch (error) {
    body.replaceChildren(errorBox(error));
  }
}

function editCard(which, done) {
  const slot = statusSlot();
  const month = h("input", { type: "month", id: "ref-month", required: true });
  const value = h("input", { id: "ref-value", required: true, inputmode: which === "utm" ? "numeric" : "decimal",
    placeholder: which === "utm" ? "69751" : "0,4" });
  const source = h("input", { id: "ref-source", required: true, minlength: 3, placeholder: which === "utm" ? "SII, publicado el …" : "INE, publicado el …" });
  const projected = h("input", { type: "checkbox" });
  const save = h("button", { type: "submit", class: "btn btn-primary", text: "Guardar mes" });
  return card(`Fijar ${which.toUpperCase()} de un mes`, h("form", { class: "stack", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const body = { source: source.value.trim(), projected: projected.checked };
      if (which === "utm") body.value = Number(value.value.replace(/\./g, ""));
      else body.variation_percent = value.value.trim().replace(",", ".");
      await api.put(`/v1/admin/reference/${which}/${month.value}`, body);
      done();
    });
  } }, h("div", { class: "form-grid" }, field("Mes", month), field(which === "utm" ? "Valor en pesos" : "Variación %", value), field("Fuente", source)),
  h("label", { class: "check" }, projected, "Valor proyectado (aún no publicado)"), h("div", {}, save), slot.node));
}
