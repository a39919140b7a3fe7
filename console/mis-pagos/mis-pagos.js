/**
 * "Mis pagos": the citizen's own space (docs/citizens.md). Sign-in with ClaveÚnica through the
 * API (which holds the PKCE verifier and nonce); this page keeps only the `state` it was given,
 * to match ClaveÚnica's callback, and then our short session token, in sessionStorage.
 */
import { NEXT, SESSION, STATE, api, el, pageFrame } from "../js/citizen-session.js";
import { fecha, fechaHora, pesos } from "../js/format.js";

const app = document.getElementById("app");
const who = document.getElementById("who");

const { show, showError, signInScreen } = pageFrame(app, who,
  "Vea todos sus pagos municipales, descargue sus comprobantes y pague sus deudas.", undefined);

async function finishSignIn(params) {
  const expected = sessionStorage.getItem(STATE);
  sessionStorage.removeItem(STATE);
  history.replaceState(null, "", window.location.pathname);
  if (!expected || expected !== params.get("state")) {
    signInScreen("El ingreso no corresponde a esta página (state); ingrese nuevamente.");
    return false;
  }
  try {
    const session = await api("POST", "/v1/citizen/session", { body: { code: params.get("code"), state: expected } });
    sessionStorage.setItem(SESSION, session.session_token);
    return true;
  } catch (error) {
    signInScreen(error.message);
    return false;
  }
}

function statusBadge(status, text) {
  return el("span", { class: `status ${status}` }, text);
}

function paymentCard(p) {
  const items = el("ul", { class: "muted" }, p.items.map((i) => el("li", {}, `${i.description} · ${pesos(i.amount)}`)));
  const actions = el("div", { class: "actions" });
  if (p.receipt) {
    actions.append(
      el("button", { type: "button", class: "download", dataset: { payment: p.payment_id },
        onclick: () => download(p.payment_id) }, "Descargar comprobante"),
      el("a", { class: "button secondary", href: p.receipt.verify_url, target: "_blank", rel: "noopener" },
        "Verificar"));
  }
  return el("li", { class: "payment", dataset: { payment: p.payment_id } },
    el("div", { class: "row" }, el("strong", {}, p.municipality_name), el("span", { class: "amount" }, pesos(p.amount))),
    el("div", { class: "row" }, el("span", { class: "muted" }, fechaHora(p.paid_at || p.created_at)),
      statusBadge(p.status, p.annulled ? "Anulado" : p.status_text)),
    p.receipt ? el("p", { class: "muted" }, `Comprobante folio ${p.receipt.folio}`) : null,
    items, actions);
}

async function download(paymentId) {
  try {
    const receipt = await api("GET", `/v1/citizen/payments/${encodeURIComponent(paymentId)}/receipt`);
    window.location.assign(receipt.download_url);
  } catch (error) {
    showError(error);
  }
}

function debtCard(d) {
  const email = el("input", { type: "email", placeholder: "Correo para el comprobante", "aria-label": "Correo" });
  return el("li", { class: "debt", dataset: { debt: d.debt_id } },
    el("div", { class: "row" }, el("strong", {}, d.municipality_name), el("span", { class: "amount" }, pesos(d.amount))),
    el("p", { class: "muted" }, `${d.description} · vence ${fecha(d.due_date)}`),
    el("div", { class: "actions" }, email,
      el("button", { type: "button", onclick: () => pay(d, email.value) }, "Pagar")));
}

async function pay(debt, email) {
  try {
    const created = await api("POST", "/v1/citizen/payments", {
      headers: { "Idempotency-Key": `mp-${crypto.randomUUID()}` },
      body: { municipality: debt.municipality, items: [{ type: "debt", debt_id: debt.debt_id }], email } });
    window.location.assign(created.checkout_url);
  } catch (error) {
    showError(error);
  }
}

function permitCard(p) {
  return el("li", { class: "permit" },
    el("div", { class: "row" }, el("strong", {}, p.plate), statusBadge(p.status, p.status_text)),
    el("p", { class: "muted" }, `Permiso ${p.year} · ${p.municipality_name}`));
}

function section(title, id, items, empty) {
  return el("section", { id },
    el("h2", {}, title),
    items.length ? el("ul", { class: "cards" }, items) : el("p", { class: "muted" }, empty));
}

function remindersSection(consent, debts) {
  const email = el("input", { type: "email", id: "reminder-email", placeholder: "Correo para los recordatorios",
    "aria-label": "Correo para los recordatorios", value: consent.email || "" });
  const all = el("input", { type: "checkbox", id: "reminder-all", value: "all" });
  all.checked = !consent.enabled || consent.obligations.includes("all");
  const choices = debts.map((d) => {
    const box = el("input", { type: "checkbox", class: "reminder-debt", value: d.debt_id });
    box.checked = consent.obligations.includes(d.debt_id);
    return el("label", { class: "check" }, box, ` ${d.description}`);
  });
  const status = el("p", { id: "reminder-status", class: "muted", role: "status" },
    consent.enabled ? `Recordatorios activos a ${consent.email}.` : "No tiene recordatorios activos.");
  async function save() {
    const chosen = all.checked ? ["all"] : Array.from(document.querySelectorAll(".reminder-debt:checked"), (b) => b.value);
    if (!chosen.length) {
      status.textContent = "Elija al menos una obligación, o todas.";
      return;
    }
    try {
      const saved = await api("PUT", "/v1/citizen/reminders", { body: { email: email.value, obligations: chosen } });
      status.textContent = `Recordatorios activos a ${saved.email}.`;
    } catch (error) {
      status.textContent = error.message;
    }
  }
  async function stop() {
    try {
      await api("DELETE", "/v1/citizen/reminders");
      status.textContent = "No tiene recordatorios activos.";
    } catch (error) {
      status.textContent = error.message;
    }
  }
  return el("section", { id: "reminders" },
    el("h2", {}, "Recordatorios por correo"),
    el("p", { class: "muted" }, "Le avisamos antes de cada vencimiento y si una cuota queda impaga. Solo con su autorización."),
    email, el("label", { class: "check" }, all, " Todas mis obligaciones"), ...choices,
    el("div", { class: "actions" },
      el("button", { type: "button", id: "reminder-save", onclick: save }, "Activar recordatorios"),
      el("button", { type: "button", class: "secondary", id: "reminder-stop", onclick: stop }, "Desactivar")),
    status);
}

async function home() {
  const [me, payments, permits, debts, consent] = await Promise.all([
    api("GET", "/v1/citizen/me"), api("GET", "/v1/citizen/payments"), api("GET", "/v1/citizen/permits"),
    api("GET", "/v1/citizen/debts"), api("GET", "/v1/citizen/reminders")]);
  who.textContent = `${me.name} · RUN ${me.run}`;
  show(
    section("Pagos", "payments", payments.payments.map(paymentCard), "Aún no tiene pagos con su RUN."),
    section(`Permisos de circulación ${permits.year}`, "permits", permits.permits.map(permitCard),
      "No hay patentes asociadas a sus pagos."),
    section("Deudas pendientes", "debts", debts.debts.map(debtCard), "No tiene deudas pendientes."),
    remindersSection(consent, debts.debts),
    el("section", {}, el("button", { type: "button", class: "secondary", onclick: signOut }, "Cerrar sesión")));
}

function signOut() {
  sessionStorage.removeItem(SESSION);
  signInScreen();
}

async function main() {
  const params = new URLSearchParams(window.location.search);
  if (params.has("error")) {
    history.replaceState(null, "", window.location.pathname);
    signInScreen("ClaveÚnica no completó el ingreso; intente nuevamente.");
    return;
  }
  if (params.has("code") && params.has("state") && !(await finishSignIn(params))) return;
  if (sessionStorage.getItem(NEXT) === "flotas") {  // the sign-in began on the fleet page
    sessionStorage.removeItem(NEXT);
    if (sessionStorage.getItem(SESSION)) {
      window.location.assign("../flotas/");
      return;
    }
  }
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
