/**
 * Flotas (docs/citizens.md): a company's representative, signed in with ClaveÚnica, uploads a CSV
 * of plates or picks them from the company's list, sees one quote per plate (asked in pages of
 * ten, with a progress bar) and pays the payable ones: one TGR payment per municipality. The
 * session is the one of "Mis pagos" (same origin, sessionStorage); ClaveÚnica returns to
 * "Mis pagos", which sends the representative back here.
 */
import { SESSION, api, el, pageFrame } from "../js/citizen-session.js";
import { fechaHora, pesos } from "../js/format.js";

const app = document.getElementById("app");
const who = document.getElementById("who");
const CHECKOUTS = "sem.fleet.checkouts";
const QUOTE_PAGE = 10;

const { show, showError, signInScreen } = pageFrame(app, who,
  "Pague los permisos de circulación de los vehículos de su empresa, todos de una vez.", "flotas");

function permitYear() {
  const now = new Date();
  return now.getFullYear() + (now.getMonth() >= 9 ? 1 : 0);  // from October on, next year's permit
}

function checkouts() {
  try { return JSON.parse(sessionStorage.getItem(CHECKOUTS) || "{}"); } catch { return {}; }
}

async function home() {
  const [me, companies] = await Promise.all([api("GET", "/v1/citizen/me"), api("GET", "/v1/citizen/companies")]);
  who.textContent = `${me.name} · RUN ${me.run}`;
  if (!companies.companies.length) {
    show(el("section", { id: "no-company" },
      el("p", {}, "No figura como representante de ninguna empresa en la plataforma."),
      el("p", { class: "muted" }, "La representación la registra la tesorería municipal tras revisar la escritura o el poder.")));
    return;
  }
  const picker = el("select", { id: "company", "aria-label": "Empresa" },
    companies.companies.map((c) => el("option", { value: c.rut }, `${c.name} (${c.rut})`)));
  const body = el("div", { id: "company-body" });
  picker.addEventListener("change", () => companyView(picker.value, body).catch(showError));
  show(el("section", {}, el("h2", {}, "Empresa"), picker), body);
  await companyView(picker.value, body);
}

async function companyView(rut, body) {
  const base = `/v1/citizen/companies/${encodeURIComponent(rut)}`;
  const [fleet, paid] = await Promise.all([api("GET", `${base}/plates`), api("GET", `${base}/payments`)]);
  const year = el("input", { type: "number", id: "year", min: "2000", max: "2100", value: String(permitYear()),
    "aria-label": "Año del permiso" });
  const file = el("input", { type: "file", id: "csv", accept: ".csv,text/csv,text/plain", "aria-label": "Archivo CSV" });
  const uploadStatus = el("div", { id: "csv-result", role: "status" });
  const list = el("ul", { class: "cards", id: "plates" });
  const quotesBox = el("div", { id: "quotes-box" });

  function renderPlates(plates) {
    list.replaceChildren(...plates.map((p) => {
      const box = el("input", { type: "checkbox", class: "plate-pick", value: p.plate, dataset: { municipality: p.municipality } });
      box.checked = true;
      return el("li", {}, el("label", { class: "check" }, box, ` ${p.plate} · ${p.municipality_name}`));
    }));
  }
  renderPlates(fleet.plates);

  async function upload() {
    const chosen = file.files && file.files[0];
    if (!chosen) { uploadStatus.textContent = "Elija un archivo CSV."; return; }
    try {
      const result = await api("POST", `${base}/plates/csv`, { body: { csv: await chosen.text() } });
      uploadStatus.replaceChildren(
        el("p", {}, `${result.accepted.length} patentes agregadas a la flota.`),
        result.errors.length ? el("ul", { class: "errors", id: "csv-errors" },
          result.errors.map((e) => el("li", { dataset: { row: String(e.row) } }, e.message))) : null);
      renderPlates((await api("GET", `${base}/plates`)).plates);
    } catch (error) {
      uploadStatus.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
    }
  }

  async function quoteAll() {
    const picked = Array.from(list.querySelectorAll(".plate-pick:checked"),
      (b) => ({ plate: b.value, municipality: b.dataset.municipality }));
    if (!picked.length) { quotesBox.replaceChildren(el("p", {}, "Elija al menos una patente.")); return; }
    const bar = el("progress", { id: "quote-progress", max: String(picked.length), value: "0" });
    const label = el("p", { id: "quote-progress-text", class: "muted" }, `Cotizando 0 de ${picked.length}…`);
    const results = el("ul", { class: "cards", id: "quotes" });
    quotesBox.replaceChildren(bar, label, results);
    const quotes = [];
    for (let i = 0; i < picked.length; i += QUOTE_PAGE) {
      const page = await api("POST", `${base}/quotes`, { body: { year: Number(year.value), plates: picked.slice(i, i + QUOTE_PAGE) } });
      for (const q of page.quotes) {
        quotes.push(q);
        results.append(quoteCard(q));
      }
      bar.value = quotes.length;
      label.textContent = `Cotizadas ${quotes.length} de ${picked.length}`;
    }
    const payable = quotes.filter((q) => q.payable);
    const total = payable.reduce((sum, q) => sum + (q.amount || 0), 0);
    const email = el("input", { type: "email", id: "fleet-email", placeholder: "Correo para los comprobantes",
      "aria-label": "Correo para los comprobantes" });
    const payBox = el("div", { id: "pay-box" });
    quotesBox.append(el("section", { id: "pay" },
      el("p", { id: "quote-summary" }, `${payable.length} de ${quotes.length} patentes se pueden pagar · ${pesos(total)}`),
      quotes.length - payable.length ? el("p", { class: "muted" }, "Las patentes con requisitos pendientes quedan fuera del pago.") : null,
      email,
      el("button", { type: "button", id: "pay-fleet", onclick: () => pay(payable, email.value, payBox) },
        `Pagar ${payable.length} permisos`), payBox));
  }

  async function pay(payable, email, payBox) {
    const groups = {};
    for (const q of payable) (groups[q.municipality] ||= []).push({ plate: q.plate, municipality: q.municipality });
    const codes = Object.keys(groups).sort();
    const bar = el("progress", { id: "pay-progress", max: String(codes.length), value: "0" });
    const label = el("p", { class: "muted" }, `Creando los pagos (0 de ${codes.length})…`);
    const made = el("ul", { class: "cards", id: "fleet-payments" });
    payBox.replaceChildren(bar, label, made);
    const known = checkouts();
    try {
      for (const [n, code] of codes.entries()) {
        const key = `fl-${crypto.randomUUID()}`;
        const answer = await api("POST", `${base}/payments`, { headers: { "Idempotency-Key": key },
          body: { year: Number(year.value), email, plates: groups[code] } });
        for (const p of answer.payments) {
          known[p.payment_id] = p.checkout_url;
          made.append(el("li", { class: "fleet-payment", dataset: { municipality: p.municipality } },
            el("div", { class: "row" }, el("strong", {}, p.municipality_name), el("span", { class: "amount" }, pesos(p.amount))),
            el("p", { class: "muted" }, `${p.plates.length} patentes: ${p.plates.join(", ")}`),
            el("a", { class: "button checkout", href: p.checkout_url }, `Pagar en TGR · ${p.municipality_name}`)));
        }
        for (const x of answer.left_out) {
          made.append(el("li", { class: "left-out", dataset: { plate: x.plate } }, `${x.plate}: ${x.reasons.join(" ")}`));
        }
        bar.value = n + 1;
        label.textContent = `Pagos creados: ${n + 1} de ${codes.length}. Pague cada uno en TGR.`;
      }
      sessionStorage.setItem(CHECKOUTS, JSON.stringify(known));
    } catch (error) {
      payBox.append(el("p", { class: "error", role: "alert" }, error.message));
    }
  }

  body.replaceChildren(
    el("section", { id: "upload" }, el("h2", {}, "Cargar patentes (CSV)"),
      el("p", { class: "muted" }, "Una patente por fila y el código de la municipalidad (p. ej. BBBB10;13101)."),
      file, el("div", { class: "actions" }, el("button", { type: "button", id: "upload-csv", onclick: upload }, "Cargar archivo")),
      uploadStatus),
    el("section", { id: "fleet" }, el("h2", {}, "Flota"), el("label", {}, "Año del permiso ", year), list,
      el("div", { class: "actions" }, el("button", { type: "button", id: "quote-fleet", onclick: () => quoteAll().catch(showError) },
        "Cotizar las patentes elegidas")), quotesBox),
    paymentsSection(base, paid.payments));
}

function quoteCard(q) {
  const checks = Object.entries(q.checks || {}).map(([name, c]) => `${name}: ${c.status === "ok" ? "ok" : c.reason || c.status}`);
  return el("li", { class: `quote ${q.payable ? "ok" : "blocked"}`, dataset: { plate: q.plate, payable: String(q.payable) } },
    el("div", { class: "row" }, el("strong", {}, q.plate),
      q.payable ? el("span", { class: "amount" }, pesos(q.amount)) : el("span", { class: "status unpaid" }, "No se puede pagar")),
    el("p", { class: "muted" }, `${q.municipality_name}${checks.length ? " · " + checks.join(" · ") : ""}`),
    q.payable ? null : el("p", { class: "reasons" }, q.reasons.join(" ")));
}

function paymentsSection(base, list) {
  const known = checkouts();
  return el("section", { id: "company-payments" }, el("h2", {}, "Pagos de la empresa"),
    list.length ? el("ul", { class: "cards" }, list.map((p) => el("li", { class: "payment", dataset: { payment: p.payment_id } },
      el("div", { class: "row" }, el("strong", {}, p.municipality_name), el("span", { class: "amount" }, pesos(p.amount))),
      el("div", { class: "row" }, el("span", { class: "muted" }, fechaHora(p.paid_at || p.created_at)),
        el("span", { class: `status ${p.status}` }, p.status_text)),
      el("p", { class: "muted" }, `${p.items.length} permisos: ${p.items.map((i) => i.plate).join(", ")}`),
      p.receipt ? el("p", { class: "muted" }, `Comprobante folio ${p.receipt.folio}`) : null,
      el("div", { class: "actions" },
        p.receipt ? el("button", { type: "button", class: "download", onclick: () => download(base, p.payment_id) }, "Descargar comprobante") : null,
        p.status === "pending" && known[p.payment_id] ? el("a", { class: "button checkout", href: known[p.payment_id] }, "Pagar en TGR") : null))))
      : el("p", { class: "muted" }, "La empresa aún no tiene pagos."));
}

async function download(base, paymentId) {
  try {
    const receipt = await api("GET", `${base}/payments/${encodeURIComponent(paymentId)}/receipt`);
    window.location.assign(receipt.download_url);
  } catch (error) {
    showError(error);
  }
}

async function main() {
  if (!sessionStorage.getItem(SESSION)) {
    signInScreen();
    return;
  }
  try {
    await home();
  } catch (error) {
    showError(error);
  }
}

main();
