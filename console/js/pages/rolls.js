/**
 * Roles de cobro (patentes, aseo): upload a CSV through a presigned URL (ask for the URL, PUT the
 * file, then ask the API to process it; processing continues while it answers `processing`),
 * show progress, and the rejected lines with their reasons, page by page.
 */

import { api, muni, putFile } from "../api.js";
import { h, field } from "../dom.js";
import { fechaHora, miles } from "../format.js";
import { badge, busy, card, errorBox, facts, loading, notice, pageHeader, pager, statusSlot, table } from "../ui.js";

const STATUS = {
  pending: ["Esperando el archivo", "neutral"], uploaded: ["Archivo recibido", "info"], created: ["Esperando el archivo", "neutral"],
  processing: ["Procesando", "warn"], done: ["Procesado", "ok"], failed: ["Archivo rechazado", "bad"],
};
const MAX_BYTES = 5 * 1024 * 1024;

export async function render(root, ctx) {
  if (ctx.segments[1]) return uploadDetail(root, ctx, ctx.segments[1]);
  root.append(pageHeader("Roles de cobro", "Patentes municipales y derechos de aseo: carga de deudores (CSV)"));
  if (ctx.can("rolls.upload")) root.append(uploadCard(ctx));
  const list = pager((cursor) => api.get(muni(ctx.code, "/rolls/uploads"), { limit: 20, cursor }), (items) => table([
    ["Archivo", (u) => h("a", { href: `#/roles/${encodeURIComponent(u.upload_id)}`, text: u.filename })],
    ["Cargado", (u) => h("div", { class: "cell-2" }, h("span", { text: fechaHora(u.created_at) }), h("small", { text: u.created_by || "" }))],
    ["Estado", (u) => statusBadge(u.status)],
    ["Líneas", (u) => u.data_lines != null ? miles(u.data_lines) : "—", "num"],
    ["Cargadas", (u) => u.written != null ? miles(u.written) : "—", "num"],
    ["Con error", (u) => u.error_count ? h("strong", { class: "text-bad", text: miles(u.error_count) }) : "0", "num"],
  ], items, { empty: "Aún no se han cargado roles." }), { label: "cargas" });
  root.append(card("Cargas anteriores", list.node));
  root.append(card("Formato del archivo", formatHelp()));
}

function statusBadge(status) {
  const [text, kind] = STATUS[status] || [status, "neutral"];
  return badge(text, kind);
}

function uploadCard(ctx) {
  const slot = statusSlot();
  const input = h("input", { type: "file", id: "roll-file", accept: ".csv,text/csv" });
  const progress = h("div", { id: "roll-progress" });
  const send = h("button", { type: "submit", class: "btn btn-primary", id: "roll-upload", text: "Cargar y procesar" });
  const form = h("form", { class: "stack", onsubmit: (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) { slot.fail({ message: "Elija un archivo CSV." }); return; }
    if (file.size > MAX_BYTES) { slot.fail({ message: "El archivo puede pesar a lo más 5 MB; divídalo en partes." }); return; }
    busy(send, slot, () => uploadAndProcess(ctx, file, progress));
  } }, field("Archivo CSV del rol (UTF-8, separado por ; o ,)", input), h("div", {}, send), slot.node, progress);
  return card("Cargar un rol", form);
}

async function uploadAndProcess(ctx, file, progress) {
  const step = (text, percent) => progress.replaceChildren(
    h("p", { class: "hint", text }), h("div", { class: "progress", role: "progressbar", "aria-valuenow": String(percent),
      "aria-valuemin": "0", "aria-valuemax": "100" }, h("span", { style: { width: `${percent}%` } })));
  step("Solicitando el enlace de carga…", 2);
  const started = await api.post(muni(ctx.code, "/rolls/uploads"), { filename: file.name, content_length: file.size });
  const id = started.upload.upload_id;
  step("Subiendo el archivo…", 10);
  await putFile(started.upload_url, file, { ...(started.headers || {}), "Content-Type": (started.headers || {})["Content-Type"] || "text/csv" });
  let state = null;
  for (let round = 0; round < 200; round += 1) {
    state = await api.post(muni(ctx.code, `/rolls/uploads/${encodeURIComponent(id)}/process`));
    const pct = Math.max(12, Math.min(100, Number(state.progress_percent ?? (state.status === "done" ? 100 : 50))));
    step(`Validando y cargando las líneas… ${pct}%`, pct);
    if (state.status !== "processing") break;
  }
  // The official may have gone to another page meanwhile: the processing went on, but do not pull
  // them back to this upload.
  if (ctx.alive()) ctx.navigate(`roles/${encodeURIComponent(id)}`);
}

async function uploadDetail(root, ctx, id) {
  root.append(h("a", { class: "back", href: "#/roles", text: "← Volver a los roles" }));
  const head = h("div", {}, loading());
  root.append(head);
  const path = muni(ctx.code, `/rolls/uploads/${encodeURIComponent(id)}`);
  let first;
  try {
    first = await api.get(path, { limit: 1 });
  } catch (error) {
    head.replaceChildren(errorBox(error));
    return;
  }
  const u = first.upload;
  const pct = Number(u.progress_percent ?? (u.status === "done" ? 100 : 0));
  head.replaceChildren(
    pageHeader(u.filename, `Carga ${u.upload_id}`, statusBadge(u.status)),
    u.status === "done" ? notice(u.error_count
      ? `Se cargaron ${miles(u.written ?? u.valid_lines ?? 0)} deudas; ${miles(u.error_count)} líneas tienen errores y no se cargaron (corríjalas y cárguelas en un archivo nuevo).`
      : `Se cargaron ${miles(u.written ?? u.valid_lines ?? 0)} deudas sin errores.`, u.error_count ? "warn" : "success") : null,
    u.status === "failed" ? errorBox({ message: `El archivo no se pudo leer: ${u.failure || "formato no válido"}.`, code: "roll_failed" }) : null,
    u.errors_truncated ? notice("Se guardaron solo los primeros 5.000 errores.", "warn") : null,
    card("Resumen", h("div", { class: "progress", "aria-label": "Avance" }, h("span", { style: { width: `${pct}%` } })),
      facts([
        ["Avance", `${pct}%`], ["Líneas de datos", u.data_lines != null ? miles(u.data_lines) : "—"],
        ["Válidas", u.valid_lines != null ? miles(u.valid_lines) : "—"], ["Cargadas como deudas", u.written != null ? miles(u.written) : "—"],
        ["Con error", u.error_count != null ? miles(u.error_count) : "—"], ["Cargado por", u.created_by],
        ["Creado", fechaHora(u.created_at)], ["Terminado", u.finished_at ? fechaHora(u.finished_at) : "—"],
      ]),
      u.status === "processing" && ctx.can("rolls.upload") ? h("div", { class: "buttons" },
        h("button", { type: "button", class: "btn btn-primary", text: "Continuar el procesamiento", onclick: async (event) => {
          const slot = statusSlot();
          event.target.after(slot.node);
          await busy(event.target, slot, async () => {
            await api.post(muni(ctx.code, `/rolls/uploads/${encodeURIComponent(id)}/process`));
            ctx.navigate(`roles/${encodeURIComponent(id)}`);
          });
        } })) : null));
  const errors = pager((cursor) => api.get(path, { limit: 100, cursor }).then((d) => ({ items: d.errors, cursor: d.cursor })),
    (items) => table([
      ["Línea", (e) => String(e.line), "num"], ["Campo", (e) => e.field || "—"], ["Problema", (e) => e.message],
    ], items, { empty: "Ninguna línea con error." }), { label: "errores" });
  root.append(card("Líneas con error", errors.node));
}

function formatHelp() {
  return h("div", {},
    h("p", { class: "hint", text: "Una línea de encabezado con estas columnas, en cualquier orden. Las líneas con errores se informan por número y no impiden cargar las demás." }),
    table([["Columna", (r) => h("code", { text: r[0] })], ["Regla", (r) => r[1]]], [
      ["debt_id", "Identificador único y nuevo (letras, números, - y _)."],
      ["rut", "RUT del deudor, con dígito verificador válido."],
      ["type", "patente o aseo."],
      ["description", "3 a 200 caracteres (lo ve el contribuyente)."],
      ["period", "Opcional (2027-S1, 2027-Q1)."],
      ["due_date", "AAAA-MM-DD o DD-MM-AAAA."],
      ["amount", "Pesos enteros mayores que 0 (21480 o 21.480)."],
    ]));
}
