/*
 * SEM's payment widget: permit quote, debts, cart and payment for one municipality, in its
 * colours (`GET /v1/municipalities/{code}`), dropped into any page with one tag (docs/integration.md, "The payment widget"):
 *
 *   <script src="https://<platform>/widget/v1/sem-pago.js" data-municipio="13101"
 *           data-clave="sem_13101_…" defer></script>
 *
 * Optional: data-contenedor="#css-selector" (where to render; else right after the tag),
 * data-api="https://…" (the API; else the platform's config.js beside the widget says it).
 * No framework, no build, no inline script or style, no eval: the host page's CSP needs only
 * the platform's origin in script-src and style-src and the API's in connect-src. Everything it
 * renders lives in a shadow root (the page's styles do not leak in, nor its own out); API data
 * is only ever put in the page as text.
 */
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || !script.src) return;
  const CODE = script.dataset.municipio || "";
  const KEY = script.dataset.clave || "";
  const BASE = new URL(".", script.src);
  const POLL_EVERY_MS = 2000;
  const POLL_FOR_MS = 60000;

  // -- words (es-CL) ----------------------------------------------------------------------------

  const CHECK_NAMES = {
    insurance: "Seguro obligatorio (SOAP)", inspection: "Revisión técnica",
    emissions: "Control de emisiones", fines: "Multas de tránsito impagas",
  };
  const CHECK_STATUS = { ok: "Al día", failed: "No cumple", unavailable: "No disponible" };
  const INSTALLMENTS = { full: "Pago total", first: "Primera cuota", second: "Segunda cuota" };
  const CLASSES = {
    light: "Vehículo liviano", motorcycle: "Motocicleta", moped: "Motoneta o bicimoto", taxi: "Taxi", bus: "Bus",
    truck: "Camión", tractor_truck: "Tractocamión", trailer_light: "Remolque liviano", trailer_heavy: "Remolque pesado",
    tractor: "Tractor agrícola", machinery: "Maquinaria automotriz",
  };
  const PROPULSIONS = { combustion: "Combustión", electric: "Eléctrico", plugin_hybrid: "Híbrido enchufable" };
  const DEBT_KINDS = { patente: "Patente municipal", aseo: "Derechos de aseo", permit_second: "Segunda cuota del permiso" };
  const STATUS = {
    pending: ["Pendiente: esperando la confirmación de la Tesorería…", "wait"],
    paid: ["Pagado. ¡Gracias!", "ok"],
    rejected: ["Rechazado: la Tesorería no aprobó el pago. No se realizó ningún cargo.", "bad"],
    expired: ["Expirado: el plazo para pagar venció. Puede iniciar el pago nuevamente.", "bad"],
    review: ["En revisión: el municipio verificará este pago y le informará por correo.", "wait"],
  };

  function pesos(value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return "—";
    return "$" + String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function fecha(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value || ""));
    return m ? `${m[3]}-${m[2]}-${m[1]}` : "";
  }

  // -- colour and contrast (WCAG 2.1) -------------------------------------------------------------

  function luminance(hex) {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }

  /** The municipality's colour where it reads on white (buttons, links, focus), else a dark one. */
  function paint(host, primary) {
    const colour = /^#[0-9a-fA-F]{6}$/.test(primary || "") ? primary : "#1f3a5f";
    const onWhite = contrast(colour, "#ffffff") >= 4.5 ? colour : "#1a1a1a";
    const ink = contrast("#ffffff", colour) >= contrast("#111111", colour) ? "#ffffff" : "#111111";
    // CSSOM custom properties: not governed by CSP (no style attribute is parsed).
    host.style.setProperty("--sem-band", colour);
    host.style.setProperty("--sem-band-ink", ink);
    host.style.setProperty("--sem-accent", onWhite);
  }

  // -- DOM ------------------------------------------------------------------------------------------

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value != null) node.setAttribute(key, String(value));
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  function clear(node) {
    node.replaceChildren();
    return node;
  }

  let uid = 0;
  function field(label, input, hint) {
    const id = `sem-f${++uid}`;
    input.id = id;
    const wrap = el("div", { className: "field" }, el("label", { for: id, text: label }), input);
    if (hint) {
      input.setAttribute("aria-describedby", `${id}-hint`);
      wrap.append(el("p", { className: "hint", id: `${id}-hint`, text: hint }));
    }
    return wrap;
  }

  // -- storage (this tab only) ------------------------------------------------------------------

  const store = {
    get(key, fallback) {
      try {
        const raw = sessionStorage.getItem(`sem-pago.${CODE}.${key}`);
        return raw == null ? fallback : JSON.parse(raw);
      } catch (e) {
        return fallback;
      }
    },
    set(key, value) { sessionStorage.setItem(`sem-pago.${CODE}.${key}`, JSON.stringify(value)); },
    remove(key) { sessionStorage.removeItem(`sem-pago.${CODE}.${key}`); },
  };

  // -- API ------------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, status, requestId) {
      super(message);
      this.status = status;
      this.requestId = requestId || null;
    }
  }

  function makeApi(apiUrl) {
    return async function api(method, path, opts) {
      const o = opts || {};
      const headers = { Accept: "application/json" };
      if (o.key) headers["X-Api-Key"] = KEY;
      if (o.token) headers.Authorization = `Bearer ${o.token}`;
      if (o.idempotencyKey) headers["Idempotency-Key"] = o.idempotencyKey;
      if (o.body !== undefined) headers["Content-Type"] = "application/json";
      let response;
      try {
        response = await fetch(apiUrl + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
      } catch (e) {
        throw new ApiError("No fue posible conectarse con la plataforma de pagos. Intente nuevamente en unos minutos.", 0);
      }
      const data = await response.json().catch(() => null);
      if (!response.ok) {
        const err = (data && data.error) || {};
        throw new ApiError(typeof err.message === "string" && err.message ? err.message
          : `La plataforma respondió con un error (HTTP ${response.status}).`, response.status, err.request_id);
      }
      return data || {};
    };
  }

  function apiUrlFromPlatform() {
    if (script.dataset.api) return Promise.resolve(script.dataset.api.replace(/\/+$/, ""));
    const known = () => window.SEM_CONFIG && typeof window.SEM_CONFIG.apiUrl === "string" ? window.SEM_CONFIG.apiUrl : null;
    if (known()) return Promise.resolve(known());
    return new Promise((resolve, reject) => {
      const tag = el("script", { src: new URL("../../config.js", BASE).href });
      tag.addEventListener("load", () => (known() ? resolve(known()) : reject(new Error("config"))));
      tag.addEventListener("error", () => reject(new Error("config")));
      document.head.append(tag);
    });
  }

  function newUuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // -- the widget -------------------------------------------------------------------------------------

  const mount = (script.dataset.contenedor && document.querySelector(script.dataset.contenedor)) || null;
  const host = el("div", { className: "sem-pago" });
  if (mount) mount.append(host);
  else script.after(host);
  const root = host.attachShadow({ mode: "open" });
  root.append(el("link", { rel: "stylesheet", href: new URL("sem-pago.css", BASE).href }));
  const frame = el("section", { className: "widget", "aria-label": "Pagos municipales en línea", "aria-busy": "true" });
  root.append(frame);
  const band = el("header", { className: "band" }, el("p", { className: "kicker", text: "Pagos en línea" }),
    el("h2", { className: "muni", text: "Municipalidad" }));
  const alert = el("div", { className: "error", role: "alert", hidden: true });
  frame.append(band, alert);

  function showError(box, error) {
    clear(box).append(el("span", { text: error.message || "Ocurrió un error inesperado." }));
    if (error.requestId) box.append(el("span", { className: "request-id", text: ` Código de seguimiento: ${error.requestId}` }));
    box.hidden = false;
  }

  function hideError(box) {
    clear(box).hidden = true;
  }

  async function busy(button, work) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await work();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  function returnUrl() {
    const url = new URL(location.href);
    url.hash = "";
    url.searchParams.delete("payment_id");
    url.searchParams.delete("estado");
    return url.href;
  }

  function start(api, muni) {
    band.querySelector(".muni").textContent = `Municipalidad de ${muni.name}`;
    frame.setAttribute("aria-busy", "false");
    const services = Array.isArray(muni.services) ? muni.services : [];

    const cart = () => store.get("cart", []);
    const saveCart = (items) => { store.set("cart", items); renderCart(); };

    // (0) back from TGR: the payment's status
    const params = new URLSearchParams(location.search);
    const paymentId = params.get("payment_id");
    if (paymentId) showStatus(paymentId);

    // (1) permit quote
    if (services.includes("permisos")) {
      const plate = el("input", { name: "patente", autocomplete: "off", autocapitalize: "characters", maxlength: 10, required: true, inputmode: "text" });
      const year = el("input", { name: "anio", type: "number", inputmode: "numeric", min: 2000, max: 2100, required: true });
      const today = new Date();
      year.value = String(today.getFullYear() + (today.getMonth() >= 9 ? 1 : 0));
      const button = el("button", { type: "submit", text: "Consultar permiso" });
      const error = el("div", { className: "error", role: "alert", hidden: true });
      const result = el("div", { className: "result", hidden: true });
      const form = el("form", { className: "form", novalidate: true },
        field("Patente", plate, "Por ejemplo BBBB10"), field("Año del permiso", year), button);
      frame.append(el("section", { className: "card", "aria-labelledby": "sem-permit-h" },
        el("h3", { id: "sem-permit-h", text: "Permiso de circulación" }), form, error, result));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        hideError(error);
        result.hidden = true;
        const p = plate.value.trim().toUpperCase();
        if (!p) { showError(error, { message: "Ingrese la patente del vehículo." }); plate.focus(); return; }
        busy(button, async () => {
          try {
            const q = new URLSearchParams({ plate: p, year: year.value.trim() });
            renderQuote(result, await api("GET", `/v1/municipalities/${CODE}/permits/quote?${q}`, { key: true }), Number(year.value));
          } catch (e) {
            showError(error, e);
          }
        });
      });
    }

    function renderQuote(box, quote, year) {
      clear(box);
      const heading = el("h4", { tabindex: "-1", text: `Patente ${quote.plate || ""}` });
      box.append(heading);
      const v = quote.vehicle;
      if (v) {
        box.append(el("p", { className: "vehicle", text: [`${v.make || ""} ${v.model || ""} ${v.model_year || ""}`.trim(),
          CLASSES[v.vehicle_class] || "Otro tipo", PROPULSIONS[v.propulsion] || "", v.owner ? `Propietario: ${v.owner}` : ""]
          .filter(Boolean).join(" · ") }));
      }
      const checks = el("ul", { className: "checks" });
      for (const [name, check] of Object.entries(quote.checks || {})) {
        const status = check && check.status in CHECK_STATUS ? check.status : "unavailable";
        checks.append(el("li", {}, el("span", { className: `badge ${status}`, text: CHECK_STATUS[status] }),
          el("span", { className: "check-name", text: CHECK_NAMES[name] || "Requisito" }),
          el("span", { className: "reason", text: check && typeof check.reason === "string" ? check.reason : "" })));
      }
      box.append(el("h5", { text: "Requisitos" }), checks);
      const add = el("button", { type: "button", className: "secondary", text: "Agregar al carrito" });
      if (quote.payable === true) {
        const choices = el("fieldset", { className: "choices" }, el("legend", { text: "¿Cómo desea pagar?" }));
        let first = true;
        for (const [inst, label] of Object.entries(INSTALLMENTS)) {
          const info = (quote.installments || {})[inst] || {};
          const amount = (quote.amounts || {})[inst];
          if (typeof amount !== "number" || info.payable === false) continue;
          const id = `sem-f${++uid}`;
          const radio = el("input", { type: "radio", name: "cuota", value: inst, id, checked: first });
          first = false;
          choices.append(el("div", { className: "choice" }, radio,
            el("label", { for: id }, el("span", { text: label }), el("span", { className: "amount", text: pesos(amount) }))));
        }
        box.append(choices, add);
        add.addEventListener("click", () => {
          const picked = choices.querySelector("input:checked");
          if (!picked) return;
          const items = cart().filter((c) => !(c.item.type === "permit" && c.item.plate === quote.plate && c.item.year === year));
          items.push({ item: { type: "permit", plate: quote.plate, year, installment: picked.value },
            label: `Permiso ${year} · ${quote.plate} · ${INSTALLMENTS[picked.value]}`, amount: quote.amounts[picked.value] });
          saveCart(items);
          cartHeading.focus();
        });
      } else {
        const reasons = el("ul", { className: "reasons" });
        for (const r of Array.isArray(quote.reasons) ? quote.reasons : []) reasons.append(el("li", { text: String(r) }));
        box.append(el("p", { className: "status bad", text: "Este permiso no se puede pagar en línea por ahora:" }), reasons);
      }
      box.hidden = false;
      heading.focus();
    }

    // (2) debts
    if (services.includes("patentes") || services.includes("aseo")) {
      const rut = el("input", { name: "rut", autocomplete: "off", maxlength: 14, required: true });
      const button = el("button", { type: "submit", text: "Consultar deudas" });
      const error = el("div", { className: "error", role: "alert", hidden: true });
      const result = el("div", { className: "result", hidden: true });
      const form = el("form", { className: "form", novalidate: true }, field("RUT", rut, "Por ejemplo 12.345.678-5"), button);
      frame.append(el("section", { className: "card", "aria-labelledby": "sem-debts-h" },
        el("h3", { id: "sem-debts-h", text: "Patentes y derechos de aseo" }), form, error, result));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        hideError(error);
        result.hidden = true;
        busy(button, async () => {
          try {
            const data = await api("GET", `/v1/municipalities/${CODE}/debts?${new URLSearchParams({ rut: rut.value.trim() })}`, { key: true });
            renderDebts(result, Array.isArray(data.debts) ? data.debts : []);
          } catch (e) {
            showError(error, e);
          }
        });
      });
    }

    function renderDebts(box, debts) {
      clear(box);
      const heading = el("h4", { tabindex: "-1", text: debts.length ? "Deudas pendientes" : "No registra deudas en este municipio." });
      box.append(heading);
      if (debts.length) {
        const list = el("fieldset", { className: "choices" }, el("legend", { text: "Elija qué pagar" }));
        debts.forEach((d, i) => {
          const id = `sem-f${++uid}`;
          const text = `${d.description || DEBT_KINDS[d.type] || "Deuda municipal"}${d.due_date ? ` · vence ${fecha(d.due_date)}` : ""}`;
          list.append(el("div", { className: "choice" }, el("input", { type: "checkbox", value: String(i), id, disabled: d.in_progress === true }),
            el("label", { for: id }, el("span", { text: d.in_progress ? `${text} (pago en curso)` : text }),
              el("span", { className: "amount", text: pesos(d.amount) }))));
        });
        const add = el("button", { type: "button", className: "secondary", text: "Agregar al carrito" });
        add.addEventListener("click", () => {
          const chosen = Array.from(list.querySelectorAll("input:checked"), (b) => debts[Number(b.value)]);
          const items = cart().filter((c) => !chosen.some((d) => c.item.debt_id === d.debt_id));
          for (const d of chosen) items.push({ item: { type: "debt", debt_id: String(d.debt_id) }, label: d.description || DEBT_KINDS[d.type] || "Deuda municipal", amount: d.amount });
          saveCart(items);
          cartHeading.focus();
        });
        box.append(list, add);
      }
      box.hidden = false;
      heading.focus();
    }

    // (3) cart and payment
    const cartHeading = el("h3", { id: "sem-cart-h", tabindex: "-1", text: "Carrito y pago" });
    const cartList = el("ul", { className: "cart" });
    const total = el("p", { className: "total" });
    const payerRut = el("input", { name: "rut", autocomplete: "off", maxlength: 14, required: true });
    const payerName = el("input", { name: "nombre", autocomplete: "name", maxlength: 120, required: true });
    const payerEmail = el("input", { name: "correo", type: "email", autocomplete: "email", maxlength: 254, required: true });
    const pay = el("button", { type: "submit", className: "primary", text: "Pagar en la Tesorería" });
    const payError = el("div", { className: "error", role: "alert", hidden: true });
    const payForm = el("form", { className: "form payer", novalidate: true },
      field("RUT de quien paga", payerRut), field("Nombre", payerName),
      field("Correo electrónico", payerEmail, "Le enviaremos el comprobante a este correo."), pay);
    frame.append(el("section", { className: "card", "aria-labelledby": "sem-cart-h" }, cartHeading,
      el("div", { "aria-live": "polite" }, cartList, total), payForm, payError));
    const payer = store.get("payer", null);
    if (payer) [payerRut.value, payerName.value, payerEmail.value] = [payer.rut || "", payer.name || "", payer.email || ""];

    function renderCart() {
      const items = cart();
      clear(cartList);
      items.forEach((entry, index) => {
        const remove = el("button", { type: "button", className: "link", text: "Quitar", "aria-label": `Quitar ${entry.label}` });
        remove.addEventListener("click", () => {
          const rest = cart();
          rest.splice(index, 1);
          saveCart(rest);
          cartHeading.focus();
        });
        cartList.append(el("li", {}, el("span", { className: "label", text: entry.label }),
          el("span", { className: "amount", text: pesos(entry.amount) }), remove));
      });
      total.textContent = items.length
        ? `Total: ${pesos(items.reduce((s, e) => s + (typeof e.amount === "number" ? e.amount : 0), 0))}`
        : "El carrito está vacío.";
      pay.disabled = items.length === 0;
    }

    payForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const items = cart();
      if (!items.length) return;
      hideError(payError);
      const body = {
        items: items.map((e) => e.item),
        payer: { rut: payerRut.value.trim(), name: payerName.value.trim(), email: payerEmail.value.trim() },
        return_url: returnUrl(),
      };
      store.set("payer", body.payer);
      const fingerprint = JSON.stringify(body);
      let saved = store.get("idempotency", null);
      if (!saved || saved.fingerprint !== fingerprint) {
        saved = { fingerprint, key: newUuid() };
        store.set("idempotency", saved);
      }
      busy(pay, async () => {
        try {
          const payment = await api("POST", `/v1/municipalities/${CODE}/payments`, { key: true, idempotencyKey: saved.key, body });
          const target = new URL(String(payment.checkout_url));
          if (!/^https?:$/.test(target.protocol)) throw new ApiError("La plataforma respondió sin un enlace de pago válido.", 0);
          store.set(`payment.${payment.payment_id}`, { token: payment.access_token });
          location.assign(target.href);
        } catch (e) {
          showError(payError, e);
        }
      });
    });
    renderCart();

    function showStatus(id) {
      const saved = store.get(`payment.${id}`, null);
      const box = el("div", { className: "status wait", role: "status", "aria-live": "polite", tabindex: "-1" });
      const facts = el("dl", { className: "facts" });
      const section = el("section", { className: "card", "aria-labelledby": "sem-status-h" },
        el("h3", { id: "sem-status-h", text: "Resultado del pago" }), box, facts);
      band.after(section);
      if (!saved || !saved.token) {
        box.className = "status bad";
        box.textContent = "No encontramos los datos de este pago en esta pestaña. El comprobante se envía al correo informado.";
        return;
      }
      const deadline = Date.now() + POLL_FOR_MS;
      async function poll() {
        let p = null;
        try {
          p = await api("GET", `/v1/payments/${encodeURIComponent(id)}`, { token: saved.token });
        } catch (e) {
          showError(box, e);
          if (e.status && e.status < 500 && e.status !== 429) return;
        }
        if (p) {
          const [text, tone] = STATUS[p.status] || ["Estado desconocido; revise su correo.", "wait"];
          box.className = `status ${tone}`;
          box.textContent = text;
          clear(facts).append(el("dt", { text: "N° de pago" }), el("dd", { text: String(p.payment_id || id) }));
          if (typeof p.amount === "number") facts.append(el("dt", { text: "Monto" }), el("dd", { text: pesos(p.amount) }));
          const r = p.receipt;
          if (r && typeof r === "object") {
            facts.append(el("dt", { text: "Folio del comprobante" }), el("dd", { className: "folio", text: String(r.folio || "") }),
              el("dt", { text: "Código de verificación" }), el("dd", { text: String(r.verification_code || "") }));
            try {
              const link = new URL(String(r.download_url));
              if (/^https?:$/.test(link.protocol)) {
                facts.append(el("dt", { text: "Comprobante" }), el("dd", {}, el("a", { href: link.href, target: "_blank", rel: "noopener", text: "Descargar comprobante (PDF)" })));
              }
            } catch (e) { /* no link */ }
          }
          if (p.status !== "pending") store.remove("idempotency");
          if (p.status === "paid") store.remove("cart");
          if (p.status !== "pending" && (p.status !== "paid" || r)) { renderCart(); return; }
        }
        if (Date.now() < deadline) setTimeout(poll, POLL_EVERY_MS);
      }
      box.textContent = STATUS.pending[0];
      box.focus();
      poll();
    }
  }

  async function boot() {
    if (!/^\d{5}$/.test(CODE) || !KEY) {
      showError(alert, { message: "Widget mal configurado: faltan data-municipio (código de 5 dígitos) o data-clave." });
      return;
    }
    try {
      const api = makeApi(await apiUrlFromPlatform());
      const muni = await api("GET", `/v1/municipalities/${CODE}`);
      paint(host, muni.branding && muni.branding.primary_color);
      start(api, muni);
    } catch (e) {
      paint(host, null);
      showError(alert, e.message === "config" ? { message: "No fue posible cargar la configuración de la plataforma de pagos." } : e);
    }
  }

  boot();
})();
