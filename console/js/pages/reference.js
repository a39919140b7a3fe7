/** UTM, IPC and the semestral art. 53 rate: the tables every computation reads (GET), set by SUBDERE (PUT per
 * month), and months imported from the CMF's API (by hand or by the daily schedule) that SUBDERE confirms before any
 * computation uses them; the semestral rate is the CMF's rate + 3,5 points, checked against the SII's resolution. */

import { api } from "../api.js";
import { h, field } from "../dom.js";
import { pesos } from "../format.js";
import { badge, busy, card, errorBox, loading, pageHeader, statusSlot, table } from "../ui.js";

const MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];
const monthName = (m) => `${MONTHS[Number(m.slice(5, 7)) - 1]} ${m.slice(0, 4)}`;

export async function render(root, ctx) {
  const asked = ctx.query.get("tabla");
  const which = asked === "ipc" || asked === "interest" ? asked : "utm";
  root.append(pageHeader("UTM, IPC y tasa de interés", "Valores que usan los cálculos de permisos, reajustes e intereses"),
    h("div", { class: "chips tabs" },
      h("a", { class: "chip", href: "#/referencia?tabla=utm", "aria-current": which === "utm" ? "page" : null, text: "UTM (SII)" }),
      h("a", { class: "chip", href: "#/referencia?tabla=ipc", "aria-current": which === "ipc" ? "page" : null, text: "IPC (INE)" }),
      h("a", { class: "chip", href: "#/referencia?tabla=interest", "aria-current": which === "interest" ? "page" : null, text: "Tasa semestral art. 53 (SII)" })));
  const body = h("div", {}, loading());
  root.append(body);
  const reload = () => ctx.navigate("referencia", { tabla: which });
  root.append(await importCard(which, ctx.can("reference.edit"), reload));
  if (ctx.can("reference.edit")) root.append(editCard(which, reload));
  try {
    const data = await api.get(`/v1/admin/reference/${which}`);
    const rows = [...data.months].reverse();
    const title = { utm: "Unidad Tributaria Mensual", ipc: "Variación mensual del IPC", interest: "Tasa semestral de interés moratorio (desde el mes indicado)" }[which];
    const shown = (r) => which === "utm" ? pesos(r.value)
      : `${String(which === "ipc" ? r.variation_percent : r.annual_percent).replace(".", ",")}%`;
    body.replaceChildren(card(title, table([
      ["Mes", (r) => monthName(r.month)],
      [which === "utm" ? "Valor" : which === "ipc" ? "Variación" : "Tasa anual (÷ 360 por día)", shown, "num"],
      ["Tipo", (r) => r.projected ? badge("Proyectado", "warn") : badge("Publicado", "ok")],
      ["Fuente", (r) => h("small", { text: r.source })],
    ], rows, { empty: "La tabla está vacía." })));
  } catch (error) {
    body.replaceChildren(errorBox(error));
  }
}

async function importCard(which, canEdit, done) {
  const slot = statusSlot();
  const list = h("div", {}, loading());
  const refresh = async () => {
    try {
      const data = await api.get(`/v1/admin/reference/${which}/pending`);
      list.replaceChildren(table([
        ["Mes", (r) => monthName(r.month)],
        ["Valor importado", (r) => which === "utm" ? pesos(r.value)
          : `${String(which === "ipc" ? r.variation_percent : r.annual_percent).replace(".", ",")}%`, "num"],
        ["Fuente", (r) => h("small", { text: r.source })],
        ["", (r) => canEdit ? h("button", { class: "btn btn-primary", type: "button", text: "Confirmar",
          "data-confirm": r.month, onclick: (event) => busy(event.currentTarget, slot, async () => {
            await api.post(`/v1/admin/reference/${which}/${r.month}/confirm`, {});
            done();
          }) }) : ""],
      ], data.months, { empty: "No hay meses importados pendientes de confirmación." }));
    } catch (error) {
      list.replaceChildren(errorBox(error));
    }
  };
  await refresh();
  const month = h("input", { type: "month", id: "import-month", required: true });
  const go = h("button", { type: "submit", class: "btn", text: "Importar desde la CMF" });
  const form = canEdit ? h("form", { class: "stack", onsubmit: (event) => {
    event.preventDefault();
    busy(go, slot, async () => {
      const answer = await api.post(`/v1/admin/reference/${which}/import`, { month: month.value });
      const said = { pending: "Importado: revise y confirme el valor antes de que se use.",
        not_published: "La CMF aún no publica ese mes.", already_confirmed: "Ese mes ya está confirmado con el mismo valor.",
        already_pending: "Ese mes ya está importado con el mismo valor y espera su confirmación." };
      slot.info(said[answer.status] || answer.status);
      await refresh();
    });
  } }, h("div", { class: "form-grid" }, field("Mes", month)), h("div", {}, go)) : null;
  const note = which === "interest"
    ? "La tasa importada es la tasa de interés corriente de la CMF (operaciones reajustables de un año o más, hasta 2.000 UF) "
      + "publicada el mes anterior al semestre, más 3,5 puntos (art. 53). Compárela con la resolución del SII antes de confirmarla; "
      + "indique el primer mes del semestre (enero o julio)."
    : "Un mes importado no se usa en ningún cálculo hasta que un administrador lo confirma.";
  return card("Importados desde la API de la CMF (pendientes de confirmación)", h("div", { class: "stack" },
    h("p", { text: note }),
    list, form, slot.node));
}

function editCard(which, done) {
  const slot = statusSlot();
  const month = h("input", { type: "month", id: "ref-month", required: true });
  const value = h("input", { id: "ref-value", required: true, inputmode: which === "utm" ? "numeric" : "decimal",
    placeholder: { utm: "69751", ipc: "0,4", interest: "7,92" }[which] });
  const source = h("input", { id: "ref-source", required: true, minlength: 3, placeholder: which === "utm" ? "SII, publicado el …" : "INE, publicado el …" });
  const projected = h("input", { type: "checkbox" });
  const save = h("button", { type: "submit", class: "btn btn-primary", text: "Guardar mes" });
  const label = { utm: "la UTM de un mes", ipc: "el IPC de un mes", interest: "la tasa de un semestre (mes 01 o 07)" }[which];
  return card(`Fijar ${label}`, h("form", { class: "stack", onsubmit: (event) => {
    event.preventDefault();
    busy(save, slot, async () => {
      const body = { source: source.value.trim(), projected: projected.checked };
      if (which === "utm") body.value = Number(value.value.replace(/\./g, ""));
      else if (which === "ipc") body.variation_percent = value.value.trim().replace(",", ".");
      else body.annual_percent = value.value.trim().replace(",", ".");
      await api.put(`/v1/admin/reference/${which}/${month.value}`, body);
      done();
    });
  } }, h("div", { class: "form-grid" }, field("Mes", month), field({ utm: "Valor en pesos", ipc: "Variación %", interest: "Tasa anual %" }[which], value), field("Fuente", source)),
  h("label", { class: "check" }, projected, "Valor proyectado (aún no publicado)"), h("div", {}, save), slot.node));
}
