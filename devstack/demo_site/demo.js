/*
 * Demo municipal site: the municipality's own web page calling SEM's public API (docs/contract.md).
 * No framework, no build. API data is only ever put in the page with textContent / attributes
 * checked here; HTML is never parsed from strings.
 */
"use strict";

(function () {
  const CONFIG = window.DEMO_CONFIG || null;
  const POLL_EVERY_MS = 2000;
  const POLL_FOR_MS = 60000;

  // -- formatting (es-CL) ------------------------------------------------------------------------

  /** 12345 → "$12.345" (dots for thousands at any size, unlike Intl's es-CL for 4 digits). */
  function pesos(value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return "—";
    const digits = String(Math.abs(Math.round(value))).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (value < 0 ? "-$" : "$") + digits;
  }

  /** "2027-03-31" → "31-03-2027"; "2027-03-31T14:05:00-03:00" → "31-03-2027 14:05" (the time as given). */
  function fecha(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(String(value == null ? "" : value));
    if (!m) return String(value == null ? "" : value);
    return `${m[3]}-${m[2]}-${m[1]}` + (m[4] ? ` ${m[4]}:${m[5]}` : "");
  }

  /** The vehicle's facts the quote returns, in the order and words a citizen reads. */
  const VEHICLE_FIELDS = [
    ["plate", "Patente"], ["vehicle_class", "Tipo de vehículo"], ["make", "Marca"], ["model", "Modelo"],
    ["model_year", "Año"], ["propulsion", "Propulsión"], ["owner", "Propietario"],
  ];
  const VEHICLE_CLASSES = {
    light: "Vehículo liviano (automóvil, station wagon, camioneta)", motorcycle: "Motocicleta",
    moped: "Motoneta o bicimoto", taxi: "Taxi", bus: "Bus", truck: "Camión", tractor_truck: "Tractocamión",
    trailer_light: "Remolque o semirremolque liviano (hasta 1.750 kg)",
    trailer_heavy: "Remolque o semirremolque pesado (más de 1.750 kg)", tractor: "Tractor agrícola",
    machinery: "Maquinaria automotriz",
  };
  const PROPULSIONS = { combustion: "Combustión", electric: "Eléctrico", plugin_hybrid: "Híbrido enchufable" };
  const CONTROL_RESULTS = { aprobada: "Aprobada", rechazada: "Rechazada", exenta: "Exenta" };

  const CHECK_NAMES = {
    insurance: "Seguro obligatorio (SOAP)", inspection: "Revisión técnica",
    emissions: "Control de emisiones (gases)", fines: "Multas de tránsito impagas (RMNP)",
  };
  const CHECK_STATUS = { ok: "Al día", failed: "No cumple", unavailable: "No disponible" };
  const INSTALLMENTS = { full: "Pago total", first: "Primera cuota", second: "Segunda cuota" };
  const DEBT_KINDS = {
    patente: "Patente municipal", aseo: "Derechos de aseo",
    permit_second: "Segunda cuota permiso de circulación",
  };
  const PAYMENT_STATUS = {
    pending: ["Pendiente: esperando la confirmación de la Tesorería…", ""],
    paid: ["Pagado. ¡Gracias!", "ok"],
    rejected: ["Rechazado: la Tesorería no aprobó el pago. No se realizó ningún cargo.", "bad"],
    expired: ["Expirado: el plazo para pagar venció. Puede iniciar el pago nuevamente.", "bad"],
    review: ["En revisión: el municipio verificará este pago y le informará por correo.", "warn"],
  };

  /** A fact for the citizen: known enum values in Spanish; anything unknown is not shown raw. */
  function vehicleFact(key, value) {
    if (key === "vehicle_class") return VEHICLE_CLASSES[value] || "Otro";
    if (key === "propulsion") return PROPULSIONS[value] || "Otra";
    return String(value);
  }

  /**
   * The evidence behind a check, as [label, text] rows in Spanish: who answered, when, the
   * reference, and what that source said (policies, the control, fines). Keys the page does not
   * know are left out rather than shown raw.
   */
  function evidenceRows(detail) {
    const d = detail && typeof detail === "object" ? detail : {};
    const rows = [];
    const add = (label, value) => { if (value != null && value !== "") rows.push([label, String(value)]); };
    add("Fuente", d.source_name);
    add("Consultado el", d.checked_at ? fecha(d.checked_at) : null);
    add("N° de consulta", d.reference);
    if (d.period && typeof d.period === "object") add("Período del permiso", `${fecha(d.period.start)} al ${fecha(d.period.end)}`);
    add("Exigido desde", d.required_from ? fecha(d.required_from) : null);
    add("Exigido al", d.required_on ? fecha(d.required_on) : null);
    add("Cubierto hasta", d.covered_until ? fecha(d.covered_until) : null);
    for (const p of Array.isArray(d.policies) ? d.policies : []) {
      add("Póliza SOAP", `${p.insurer || "Aseguradora"} N° ${p.policy_number || "—"}, vigente del ${fecha(p.valid_from)} al ${fecha(p.valid_to)}`);
    }
    const c = d.control;
    if (c && typeof c === "object") {
      add("Resultado", CONTROL_RESULTS[c.result] || null);
      add("Planta", c.plant);
      add("Fecha del control", c.inspected_on ? fecha(c.inspected_on) : null);
      add("Vigente hasta", c.valid_until ? fecha(c.valid_until) : null);
    }
    for (const f of Array.isArray(d.fines) ? d.fines : []) {
      add("Multa impaga", `${f.court || "Juzgado"}, ${fecha(f.date)}, ${pesos(f.amount)}${f.case_number ? ` (rol ${f.case_number})` : ""}`);
    }
    if (Array.isArray(d.fines) && d.fines.length) add("Total de multas", pesos(d.total));
    return rows;
  }

  /** "2027-S1" → "1er semestre 2027"; "2027-Q3" / "2027-C2" → "cuota 3 de 2027"; else as given. */
  function periodo(value) {
    const m = /^(\d{4})-([SQC])(\d)$/.exec(String(value));
    if (!m) return String(value);
    return m[2] === "S" ? `${m[3] === "1" ? "1er" : "2º"} semestre ${m[1]}` : `cuota ${m[3]} de ${m[1]}`;
  }

  // -- DOM helpers -------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function isHttpUrl(value) {
    try {
      const url = new URL(String(value));
      return url.protocol === "https:" || url.protocol === "http:";
    } catch (e) {
      return false;
    }
  }

  function showError(box, error) {
    clear(box);
    box.append(el("span", { text: error.message || "Ocurrió un error inesperado." }));
    if (error.requestId) box.append(el("span", { className: "request-id", text: `Código de seguimiento: ${error.requestId}` }));
    box.hidden = false;
  }

  function hideError(box) {
    clear(box).hidden = true;
  }

  // -- API ---------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, status, requestId, field) {
      super(message);
      this.status = status;
      this.requestId = requestId || null;
      this.field = field || null;
    }
  }

  async function api(method, path, options) {
    const opts = options || {};
    const headers = { Accept: "application/json" };
    if (opts.apiKey) headers["X-Api-Key"] = opts.apiKey;
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(CONFIG.apiUrl + path, {
        method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (e) {
      throw new ApiError("No fue posible conectarse con la plataforma de pagos. Intente nuevamente en unos minutos.", 0);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const err = data && typeof data.error === "object" && data.error ? data.error : {};
      const message = typeof err.message === "string" && err.message
        ? err.message : `La plataforma respondió con un error (HTTP ${response.status}).`;
      throw new ApiError(message, response.status, typeof err.request_id === "string" ? err.request_id : null,
        typeof err.field === "string" ? err.field : null);
    }
    return data || {};
  }

  // -- municipality --------------------------------------------------------------------------------

  function portals() {
    return (CONFIG && CONFIG.portals) || {};
  }

  function chosenCode() {
    const codes = Object.keys(portals());
    const fromQuery = new URLSearchParams(location.search).get("m");
    const remembered = localStorage.getItem("demo.municipality");
    for (const code of [fromQuery, remembered]) if (code && codes.includes(code)) return code;
    return codes[0] || null;
  }

  function applyMunicipality(code) {
    const portal = portals()[code];
    const name = portal ? portal.name : "—";
    $("muni-name").textContent = name;
    $("footer-name").textContent = `Ilustre Municipalidad de ${name}`;
    const privacy = $("privacy-link");
    if (privacy && CONFIG && typeof CONFIG.apiUrl === "string") {
      privacy.href = CONFIG.apiUrl + "/v1/privacy" + (code ? "?municipality=" + encodeURIComponent(code) : "");
    }
    document.title = `${document.body.dataset.page === "retorno" ? "Resultado del pago" : "Pagos en línea"} — Municipalidad de ${name} (demo)`;
    const color = portal && /^#[0-9a-fA-F]{6}$/.test(portal.color || "") ? portal.color : "#0b4f8a";
    document.documentElement.style.setProperty("--muni", color);
    if (code) localStorage.setItem("demo.municipality", code);
    const widgetLink = $("widget-link");
    if (widgetLink && code) widgetLink.setAttribute("href", `pagar.html?m=${encodeURIComponent(code)}`);
  }

  function configProblem() {
    if (!CONFIG || typeof CONFIG.apiUrl !== "string") return "Falta la configuración del sitio (config.js).";
    if (!Object.keys(portals()).length) return "No hay municipios configurados para este sitio de demostración (SEM_DEMO_PORTALS).";
    return null;
  }

  // -- storage (sessionStorage: this tab only) ---------------------------------------------------

  const store = {
    get(key, fallback) {
      try {
        const raw = sessionStorage.getItem(key);
        return raw == null ? fallback : JSON.parse(raw);
      } catch (e) {
        return fallback;
      }
    },
    set(key, value) { sessionStorage.setItem(key, JSON.stringify(value)); },
    remove(key) { sessionStorage.removeItem(key); },
  };

  function newUuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /**
   * The Idempotency-Key of this cart: the same request body keeps its key (a double click or a
   * reload replays the first payment), a different body gets a new one (else the API answers 409).
   */
  function idempotencyKeyFor(code, body) {
    const storageKey = `demo.idempotency.${code}`;
    const fingerprint = JSON.stringify(body);
    const saved = store.get(storageKey, null);
    if (saved && saved.fingerprint === fingerprint) return saved.key;
    const key = newUuid();
    store.set(storageKey, { fingerprint, key });
    return key;
  }

  // -- page: inicio ---------------------------------------------------------------------------------

  function initInicio() {
    const problem = configProblem();
    if (problem) {
      showError($("config-error"), { message: problem });
      for (const form of document.querySelectorAll("form")) for (const b of form.querySelectorAll("button")) b.disabled = true;
      return;
    }
    let code = chosenCode();
    let quote = null;
    let debts = [];
    const select = $("muni-select");
    for (const [c, portal] of Object.entries(portals())) select.append(el("option", { value: c, text: `${portal.name} (${c})` }));
    select.value = code;
    applyMunicipality(code);

    const cartKey = () => `demo.cart.${code}`;
    const cart = () => store.get(cartKey(), []);
    const apiKey = () => portals()[code].apiKey;
    const base = () => `/v1/municipalities/${encodeURIComponent(code)}`;

    select.addEventListener("change", () => {
      code = select.value;
      const url = new URL(location.href);
      url.searchParams.set("m", code);
      history.replaceState(null, "", url);
      applyMunicipality(code);
      quote = null;
      debts = [];
      $("quote-result").hidden = true;
      $("debts-result").hidden = true;
      for (const id of ["quote-error", "debts-error", "pay-error"]) hideError($(id));
      renderCart();
    });

    async function busy(button, work) {
      button.disabled = true;
      try {
        await work();
      } finally {
        button.disabled = false;
      }
    }

    // (1) permit quote
    $("quote-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const plate = $("plate").value.trim().toUpperCase();
      const year = $("year").value.trim();
      hideError($("quote-error"));
      $("quote-result").hidden = true;
      busy($("quote-btn"), async () => {
        try {
          const params = new URLSearchParams({ plate, year });
          quote = await api("GET", `${base()}/permits/quote?${params}`, { apiKey: apiKey() });
          renderQuote(quote, plate, Number(year));
        } catch (error) {
          showError($("quote-error"), error);
        }
      });
    });

    function renderQuote(data, plate, year) {
      const vehicle = data.vehicle && typeof data.vehicle === "object" ? data.vehicle : {};
      const facts = clear($("vehicle"));
      for (const [key, name] of VEHICLE_FIELDS) {
        const value = vehicle[key];
        if (value == null || value === "") continue;
        facts.append(el("dt", { text: name }), el("dd", { text: vehicleFact(key, value) }));
      }
      if (typeof data.tasacion === "number") facts.append(el("dt", { text: "Tasación" }), el("dd", { text: pesos(data.tasacion) }));

      const amounts = data.amounts || {};
      const choices = clear($("installments"));
      choices.append(el("legend", { className: "hint", text: "Elija cómo pagar" }));
      let first = true;
      for (const [key, name] of Object.entries(INSTALLMENTS)) {
        const available = typeof amounts[key] === "number";
        const input = el("input", { type: "radio", name: "installment", value: key });
        input.disabled = !available;
        if (available && first) { input.checked = true; first = false; }
        choices.append(el("label", {}, input, el("span", { text: name }),
          el("span", { className: "amount", text: available ? pesos(amounts[key]) : "—" })));
      }

      const body = clear($("checks"));
      const checks = Array.isArray(data.checks)
        ? data.checks.map((c) => [c.name || c.check || c.type, c])
        : Object.entries(data.checks || {});
      for (const [name, check] of checks) {
        const status = check && typeof check.status === "string" && check.status in CHECK_STATUS ? check.status : "unavailable";
        const reason = check && typeof check.reason === "string" ? check.reason : "";
        const cell = el("td", {}, el("p", { className: "reason", text: reason }));
        const rows = evidenceRows(check && check.detail);
        if (rows.length) {
          const list = el("dl", { className: "evidence" });
          for (const [term, text] of rows) list.append(el("dt", { text: term }), el("dd", { text }));
          cell.append(el("details", {}, el("summary", { text: "Ver respaldo de la consulta" }), list));
        }
        body.append(el("tr", {},
          el("th", { scope: "row", text: CHECK_NAMES[name] || "Otro requisito" }),
          el("td", {}, el("span", { className: `badge ${status}`, text: CHECK_STATUS[status] })),
          cell));
      }

      const payable = data.payable === true;
      const box = $("payable");
      box.className = `status-box ${payable ? "ok" : "bad"}`;
      box.textContent = payable ? "El permiso se puede pagar en línea." : "El permiso no se puede pagar en línea por ahora:";
      const reasons = clear($("reasons"));
      for (const reason of Array.isArray(data.reasons) ? data.reasons : []) reasons.append(el("li", { text: String(reason) }));
      $("add-permit").disabled = !payable;
      $("add-permit").dataset.plate = data.vehicle && typeof data.vehicle.plate === "string" ? data.vehicle.plate : plate;
      $("add-permit").dataset.year = String(year);
      $("quote-result").hidden = false;
    }

    $("add-permit").addEventListener("click", () => {
      const checked = document.querySelector('input[name="installment"]:checked');
      if (!quote || !checked) return;
      const plate = $("add-permit").dataset.plate;
      const year = Number($("add-permit").dataset.year);
      const installment = checked.value;
      const items = cart().filter((c) => !(c.item.type === "permit" && c.item.plate === plate && c.item.year === year));
      items.push({
        item: { type: "permit", plate, year, installment },
        label: `Permiso de circulación ${year} · ${plate} · ${INSTALLMENTS[installment]}`,
        amount: (quote.amounts || {})[installment],
      });
      store.set(cartKey(), items);
      renderCart();
      location.hash = "#carrito";
    });

    // (2) debts
    $("debts-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const rut = $("debts-rut").value.trim();
      hideError($("debts-error"));
      $("debts-result").hidden = true;
      busy($("debts-btn"), async () => {
        try {
          const data = await api("GET", `${base()}/debts?${new URLSearchParams({ rut })}`, { apiKey: apiKey() });
          debts = Array.isArray(data) ? data : (data.debts || data.items || []);
          renderDebts();
          if (!$("payer-rut").value) $("payer-rut").value = rut;
        } catch (error) {
          showError($("debts-error"), error);
        }
      });
    });

    function debtLabel(debt) {
      const what = debt.description || DEBT_KINDS[debt.type] || "Deuda municipal";
      const period = debt.period ? ` · ${periodo(debt.period)}` : "";
      const due = debt.due_date ? ` · vence ${fecha(debt.due_date)}` : "";
      return `${what}${period}${due}`;
    }

    function renderDebts() {
      const list = clear($("debts-list"));
      const inCart = new Set(cart().filter((c) => c.item.type === "debt").map((c) => c.item.debt_id));
      debts.forEach((debt, index) => {
        const box = el("input", { type: "checkbox", value: String(index) });
        box.checked = inCart.has(debt.debt_id);
        list.append(el("li", {}, el("label", {}, box, el("span", { text: debtLabel(debt) }),
          el("span", { className: "amount", text: pesos(debt.amount) }))));
      });
      $("debts-empty").hidden = debts.length > 0;
      $("add-debts").hidden = debts.length === 0;
      $("debts-result").hidden = false;
    }

    $("add-debts").addEventListener("click", () => {
      const chosen = Array.from($("debts-list").querySelectorAll("input:checked"), (box) => debts[Number(box.value)]);
      const shown = new Set(debts.map((d) => d.debt_id));
      const items = cart().filter((c) => c.item.type !== "debt" || !shown.has(c.item.debt_id));
      for (const debt of chosen) {
        items.push({ item: { type: "debt", debt_id: String(debt.debt_id) }, label: debtLabel(debt), amount: debt.amount });
      }
      store.set(cartKey(), items);
      renderCart();
      location.hash = "#carrito";
    });

    // (3) cart and payment
    function renderCart() {
      const items = cart();
      const list = clear($("cart"));
      items.forEach((entry, index) => {
        const remove = el("button", { type: "button", text: "Quitar", "aria-label": `Quitar ${entry.label}` });
        remove.addEventListener("click", () => {
          const rest = cart();
          rest.splice(index, 1);
          store.set(cartKey(), rest);
          renderCart();
        });
        list.append(el("li", {}, el("span", { className: "label", text: entry.label }),
          el("span", { className: "amount", text: pesos(entry.amount) }), remove));
      });
      $("cart-empty").hidden = items.length > 0;
      const total = items.reduce((sum, entry) => sum + (typeof entry.amount === "number" ? entry.amount : 0), 0);
      $("cart-total").textContent = pesos(total);
      $("pay-btn").disabled = items.length === 0;
    }

    const payer = store.get("demo.payer", null);
    if (payer) {
      $("payer-rut").value = payer.rut || "";
      $("payer-name").value = payer.name || "";
      $("payer-email").value = payer.email || "";
    }

    $("pay-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const items = cart();
      if (!items.length) return;
      hideError($("pay-error"));
      const body = {
        items: items.map((entry) => entry.item),
        payer: { rut: $("payer-rut").value.trim(), name: $("payer-name").value.trim(), email: $("payer-email").value.trim() },
        return_url: `${location.origin}/retorno.html?m=${encodeURIComponent(code)}`,
      };
      store.set("demo.payer", body.payer);
      const idempotencyKey = idempotencyKeyFor(code, body);
      const button = $("pay-btn");
      button.disabled = true;
      (async () => {
        try {
          const payment = await api("POST", `${base()}/payments`, { apiKey: apiKey(), idempotencyKey, body });
          if (!isHttpUrl(payment.checkout_url) || typeof payment.payment_id !== "string") {
            throw new ApiError("La plataforma respondió sin un enlace de pago válido.", 0);
          }
          store.set(`demo.payment.${payment.payment_id}`, {
            accessToken: payment.access_token, code, amount: payment.amount,
          });
          $("pay-progress").hidden = false;
          location.assign(payment.checkout_url);
        } catch (error) {
          showError($("pay-error"), error);
          button.disabled = false;
        }
      })();
    });

    renderCart();
  }

  // -- page: retorno --------------------------------------------------------------------------------

  function initRetorno() {
    const params = new URLSearchParams(location.search);
    const paymentId = params.get("payment_id") || "";
    const saved = store.get(`demo.payment.${paymentId}`, null);
    const code = (saved && saved.code) || chosenCode();
    applyMunicipality(code);
    $("back-link").setAttribute("href", `index.html?m=${encodeURIComponent(code || "")}`);
    const status = $("status");

    const problem = configProblem();
    if (problem) {
      showError($("config-error"), { message: problem });
      status.hidden = true;
      return;
    }
    const estado = params.get("estado");
    if (estado === "aprobado" || estado === "rechazado") {
      $("gateway-said").textContent = `La Tesorería informó el pago como ${estado}. Confirmando con la plataforma…`;
      $("gateway-said").hidden = false;
    }
    if (!paymentId || !saved || !saved.accessToken) {
      status.className = "status-box warn";
      status.textContent = "No encontramos los datos de este pago en esta pestaña del navegador. "
        + "Revise su correo: el comprobante se envía al correo informado.";
      return;
    }

    const deadline = Date.now() + POLL_FOR_MS;

    function render(payment) {
      const [text, tone] = PAYMENT_STATUS[payment.status] || [`Estado: ${String(payment.status)}`, ""];
      status.className = `status-box ${tone}`;
      status.textContent = text;
      const facts = clear($("payment"));
      facts.append(el("dt", { text: "N° de pago" }), el("dd", { text: String(payment.payment_id || paymentId) }));
      if (typeof payment.amount === "number") facts.append(el("dt", { text: "Monto" }), el("dd", { text: pesos(payment.amount) }));
      for (const key of ["paid_at", "created_at"]) {
        if (typeof payment[key] === "string") {
          facts.append(el("dt", { text: key === "paid_at" ? "Fecha de pago" : "Fecha" }), el("dd", { text: fecha(payment[key]) }));
          break;
        }
      }
      facts.hidden = false;
      const items = clear($("payment-items"));
      for (const item of Array.isArray(payment.items) ? payment.items : []) {
        const what = item.description || item.label
          || (item.type === "permit" ? `Permiso de circulación ${item.year || ""} · ${item.plate || ""} · ${INSTALLMENTS[item.installment] || ""}`
            : `${DEBT_KINDS[item.kind] || "Deuda"} ${item.debt_id || ""}`);
        items.append(el("li", {}, el("span", { className: "label", text: String(what) }),
          el("span", { className: "amount", text: pesos(item.amount) })));
      }
      const receipt = payment.receipt;
      if (receipt && typeof receipt === "object") {
        $("receipt-folio").textContent = String(receipt.folio == null ? "" : receipt.folio);
        $("receipt-code").textContent = String(receipt.verification_code == null ? "" : receipt.verification_code);
        const link = $("receipt-link");
        if (isHttpUrl(receipt.download_url)) {
          link.setAttribute("href", receipt.download_url);
          link.hidden = false;
        } else {
          link.hidden = true;
        }
        const notice = $("email-notice");
        const bounced = payment.email_notice && typeof payment.email_notice === "object";
        notice.textContent = bounced ? String(payment.email_notice.text || "") : "";
        notice.hidden = !bounced;
        $("receipt").hidden = false;
      }
    }

    function finished(payment) {
      if (["rejected", "expired", "review"].includes(payment.status)) return true;
      return payment.status === "paid" && Boolean(payment.receipt);
    }

    async function poll() {
      let payment = null;
      try {
        payment = await api("GET", `/v1/payments/${encodeURIComponent(paymentId)}`, { token: saved.accessToken });
        hideError($("status-error"));
        render(payment);
      } catch (error) {
        showError($("status-error"), error);
        if (error.status && error.status < 500 && error.status !== 429) return; // will not get better
      }
      if (payment && payment.status !== "pending") {
        // Settled: the next purchase of the same cart is a new payment with a new key.
        store.remove(`demo.idempotency.${saved.code}`);
        if (payment.status === "paid") store.remove(`demo.cart.${saved.code}`);
      }
      if (payment && finished(payment)) return;
      if (Date.now() >= deadline) {
        $("gateway-said").textContent = payment && payment.status === "paid"
          ? "El comprobante se está emitiendo; también le llegará por correo electrónico."
          : "El pago sigue pendiente. Puede volver a consultar más tarde; el resultado también se informa por correo.";
        $("gateway-said").hidden = false;
        return;
      }
      setTimeout(poll, POLL_EVERY_MS);
    }

    poll();
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (document.body.dataset.page === "retorno") initRetorno();
    else initInicio();
  });
})();
