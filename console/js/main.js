/**
 * The console's shell: sign-in, who am I (`GET /v1/admin/me`), the navigation of the modules the
 * profile may use, the municipality being worked on, and a hash router (#/pagos, #/pagos/<id>, …)
 * so a static bucket can serve every page from one index.html.
 */

import { api, whenUnauthenticated } from "./api.js";
import { currentSession, isExpired, signOut } from "./auth.js";
import { h, clear, replace } from "./dom.js";
import { PERFILES } from "./format.js";
import { errorBox, loading } from "./ui.js";
import { renderSignIn } from "./pages/signin.js";

const CONFIG = window.SEM_CONFIG || {};

/** The modules, in menu order; `perm` = the permission of GET /v1/admin/me that shows it. */
const MODULES = [
  { path: "inicio", label: "Panel", icon: "M3 13h8V3H3zm0 8h8v-6H3zm10 0h8V11h-8zm0-18v6h8V3z", load: () => import("./pages/dashboard.js") },
  { path: "pagos", label: "Pagos", perm: "payments.read", scoped: true, icon: "M2 6h20v12H2zM2 10h20M6 15h4", load: () => import("./pages/payments.js") },
  { path: "devoluciones", label: "Devoluciones", perm: "refunds.read", scoped: true, icon: "M9 14L4 9l5-5M4 9h11a5 5 0 010 10h-3", load: () => import("./pages/refunds.js") },
  { path: "correos", label: "Correos", perm: "payments.read", scoped: true, icon: "M3 5h18v14H3zM3 5l9 7 9-7", load: () => import("./pages/email.js") },
  { path: "roles", label: "Roles de cobro", perm: "rolls.read", scoped: true, icon: "M6 2h9l5 5v15H6zM14 2v6h6M9 13h8M9 17h8", load: () => import("./pages/rolls.js") },
  { path: "conciliacion", label: "Conciliación", perm: "reconciliation.read", scoped: true, icon: "M9 11l3 3 8-8M20 12v7a2 2 0 01-2 2H6a2 2 0 01-2-2V5a2 2 0 012-2h9", load: () => import("./pages/reconciliation.js") },
  { path: "informes", label: "Informes", perm: "reports.municipal", scoped: true, icon: "M4 20V4M4 20h16M8 16v-5M12 16V8M16 16v-3M20 16V6", load: () => import("./pages/reports.js") },
  { path: "estadisticas", label: "Estadísticas", perm: "reports.central", icon: "M12 3a9 9 0 100 18 9 9 0 000-18zM12 3v9l6.4 6.4M3 12h9", load: () => import("./pages/reports.js") },
  { path: "salud-correo", label: "Salud del correo", perm: "reports.central", icon: "M3 5h18v14H3zM3 5l9 7 9-7M12 15v2", load: () => import("./pages/email.js") },
  { path: "configuracion", label: "Configuración", perm: "settings.read", scoped: true, icon: "M12 8a4 4 0 100 8 4 4 0 000-8zM3 12h2m14 0h2M12 3v2m0 14v2M5.6 5.6l1.4 1.4m10 10l1.4 1.4M5.6 18.4l1.4-1.4m10-10l1.4-1.4", load: () => import("./pages/settings.js") },
  { path: "firmante", label: "Firmante de comprobantes", perm: "settings.read", scoped: true, icon: "M4 4h16v12H4zM8 20h8M12 16v4M8 10l2 2 4-4", load: () => import("./pages/receipt-signer.js") },
  { path: "funcionarios", label: "Funcionarios", perm: "officials.read", scoped: true, icon: "M9 11a4 4 0 100-8 4 4 0 000 8zM2 21c0-4 3-7 7-7s7 3 7 7M17 11a3 3 0 000-6M22 21c0-3-2-5-4-6", load: () => import("./pages/officials.js") },
  { path: "derechos", label: "Derechos ARCO", perm: "privacy.requests", scoped: true, icon: "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6zM9 12l2 2 4-4", load: () => import("./pages/privacy.js") },
  { path: "recordatorios", label: "Recordatorios", perm: "payments.read", scoped: true, icon: "M12 22a2 2 0 002-2h-4a2 2 0 002 2zM18 16V11a6 6 0 10-12 0v5l-2 2h16z", load: () => import("./pages/reminders.js") },
  { path: "representantes", label: "Representantes (flotas)", perm: "representations.manage", scoped: true, icon: "M3 21h18M6 21V8h12v13M9 12h2M13 12h2M9 16h2M13 16h2M9 4h6v4H9z", load: () => import("./pages/representations.js") },
  { path: "auditoria", label: "Auditoría", perm: "audit.read", scoped: true, icon: "M4 4h16v16H4zM8 9h8M8 13h8M8 17h5", load: () => import("./pages/audit.js") },
  { path: "municipalidades", label: "Municipalidades", perm: "municipalities.read", icon: "M3 21h18M5 21V10l7-5 7 5v11M9 21v-6h6v6", load: () => import("./pages/municipalities.js") },
  { path: "firma", label: "Firma electrónica", perm: "signatures.enroll", icon: "M3 17c3-1 4-6 6-6s1 5 3 5 3-3 4-3 2 2 5 2M3 21h18", load: () => import("./pages/signatures.js") },
  { path: "firmas", label: "Firmas pendientes", perm: "batches.read", scoped: true, icon: "M4 4h12l4 4v12H4zM8 12l2 2 4-4", load: () => import("./pages/signatures-pending.js") },
  { path: "documentos-firmados", label: "Documentos firmados", perm: "batches.read", scoped: true, icon: "M6 2h9l5 5v15H6zM9 15l2 2 4-4", load: () => import("./pages/signatures-documents.js") },
  { path: "referencia", label: "UTM, IPC y tasas", perm: "reference.read", icon: "M4 20V10M10 20V4M16 20v-8M22 20H2", load: () => import("./pages/reference.js") },
];
const HIDDEN = {
  "segundo-factor": { path: "segundo-factor", label: "Segundo factor", load: () => import("./pages/totp.js") },
};

const state = { me: null, municipalities: null, municipality: null };
const app = document.getElementById("app");
let expiryTimer = null;

function visibleModules(me) {
  return MODULES.filter((m) => !m.perm || me.permissions.includes(m.perm));
}

function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const [path, query] = raw.split("?");
  const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { segments, query: new URLSearchParams(query || "") };
}

export function navigate(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null)).toString() : "";
  const target = `#/${path}${qs ? `?${qs}` : ""}`;
  if (window.location.hash === target) route();
  else window.location.hash = target;
}

// -- session -----------------------------------------------------------------------------------

function showSignIn(message) {
  clearTimeout(expiryTimer);
  state.me = null;
  document.title = "SEM · Ingreso";
  renderSignIn(app, { message, onSignedIn: start });
}

whenUnauthenticated((message) => {
  if (!state.me) return;
  signOut({ everywhere: false });
  showSignIn(message);
});

async function start() {
  const session = currentSession();
  if (isExpired(session)) {
    if (session) await signOut({ everywhere: false });
    showSignIn(session ? "Su sesión expiró. Inicie sesión nuevamente." : null);
    return;
  }
  clearTimeout(expiryTimer);
  expiryTimer = setTimeout(() => {
    signOut({ everywhere: false });
    showSignIn("Su sesión expiró. Inicie sesión nuevamente.");
  }, Math.max(0, session.exp - Date.now() - 10000));
  replace(app, loading("Verificando su perfil…"));
  try {
    state.me = await api.get("/v1/admin/me");
  } catch (error) {
    if (error.status === 401) return;
    replace(app, h("main", { class: "signin" }, h("div", { class: "signin-card" },
      h("h1", { text: "No se pudo abrir la consola" }), errorBox(error),
      h("button", { class: "btn", type: "button", text: "Volver al ingreso",
        onclick: async () => { await signOut(); showSignIn(); } }))));
    return;
  }
  state.municipality = state.me.central ? sessionStorage.getItem("sem.municipality") : state.me.municipality.code;
  if (state.me.central && state.me.permissions.includes("municipalities.read")) {
    try {
      state.municipalities = await allMunicipalities();
    } catch {
      state.municipalities = [];
    }
  }
  renderShell();
  if (mustEnrolSecondFactor()) navigate("segundo-factor");
  else route();
}

/** The profiles that authorize payments work only after enrolling a TOTP app: until then the API
 * answers nothing but /v1/admin/me, so every page leads to the enrolment. */
function mustEnrolSecondFactor() {
  const totp = state.me.totp || {};
  return Boolean(totp.required) && totp.enrolled === false;
}

async function allMunicipalities() {
  const found = [];
  let cursor = null;
  do {
    const page = await api.get("/v1/admin/central/municipalities", { limit: 200, cursor });
    found.push(...page.items);
    cursor = page.cursor;
  } while (cursor && found.length < 2000);
  return found;
}

// -- layout ------------------------------------------------------------------------------------

let mainNode = null;
let navNode = null;

function icon(path) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  p.setAttribute("d", path);
  svg.append(p);
  return svg;
}

function municipalityName() {
  const me = state.me;
  if (!me.central) return me.municipality.name || me.municipality.code;
  const found = (state.municipalities || []).find((m) => m.code === state.municipality);
  return found ? found.name : null;
}

function renderShell() {
  const me = state.me;
  const modules = visibleModules(me);
  navNode = h("nav", { class: "sidenav", id: "sidenav", "aria-label": "Módulos" },
    h("ul", {}, modules.map((m) => h("li", {},
      h("a", { href: `#/${m.path}`, dataset: { path: m.path } }, icon(m.icon), h("span", { text: m.label }))))));
  const menuButton = h("button", { class: "menu-toggle", type: "button", "aria-controls": "sidenav",
    "aria-expanded": "false", "aria-label": "Abrir menú", onclick: () => {
      const open = document.body.classList.toggle("nav-open");
      menuButton.setAttribute("aria-expanded", String(open));
    } }, h("span"), h("span"), h("span"));

  let picker = null;
  if (me.central && state.municipalities) {
    picker = h("label", { class: "muni-picker" }, h("span", { text: "Municipalidad" }),
      h("select", { id: "muni-picker", onchange: (event) => {
        state.municipality = event.target.value || null;
        if (state.municipality) sessionStorage.setItem("sem.municipality", state.municipality);
        else sessionStorage.removeItem("sem.municipality");
        route();
      } },
      h("option", { value: "", text: "— elegir —" }),
      state.municipalities.map((m) => h("option", { value: m.code, selected: m.code === state.municipality,
        text: `${m.name} (${m.code})` }))));
  }
  const topbar = h("header", { class: "topbar" },
    menuButton,
    h("a", { class: "brand", href: "#/inicio" },
      h("span", { class: "brand-mark", "aria-hidden": "true" }, "SEM"),
      h("span", { class: "brand-text" }, h("strong", { text: "Consola municipal" }),
        h("small", { text: me.central ? "SUBDERE · nivel central" : `Municipalidad de ${municipalityName()}` }))),
    picker,
    h("div", { class: "who" },
      h("div", { class: "who-text" }, h("strong", { id: "who-name", text: me.name || me.email }),
        h("small", { id: "who-profile", text: me.profile_name || PERFILES[me.profile] || me.profile })),
      h("button", { class: "btn btn-ghost btn-small", type: "button", id: "sign-out", text: "Cerrar sesión",
        onclick: async () => { await signOut(); showSignIn("Cerró su sesión."); } })));
  mainNode = h("main", { class: "content", id: "content", tabindex: "-1" });
  const env = CONFIG.stage && CONFIG.stage !== "prod"
    ? h("div", { class: "env-banner", text: `Ambiente: ${CONFIG.stage} — datos de demostración` }) : null;
  replace(app, h("div", { class: "shell" }, topbar, env, h("div", { class: "body" }, navNode, mainNode)));
}

let routeSeq = 0;

async function route() {
  if (!state.me) return;
  const seq = ++routeSeq;
  const { segments, query } = parseHash();
  const path = segments[0] || "inicio";
  if (path !== "segundo-factor" && mustEnrolSecondFactor()) {
    navigate("segundo-factor");
    return;
  }
  const modules = visibleModules(state.me);
  const module = modules.find((m) => m.path === path) || HIDDEN[path];
  document.body.classList.remove("nav-open");
  for (const link of navNode.querySelectorAll("a")) {
    if (link.dataset.path === path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!module) {
    const exists = MODULES.some((m) => m.path === path);
    replace(mainNode, errorBox({ message: exists
      ? "Su perfil no tiene acceso a este módulo." : "La página no existe.", code: exists ? "permission_denied" : "not_found" }));
    return;
  }
  document.title = `SEM · ${module.label}`;
  if (module.scoped && !state.municipality) {
    replace(mainNode, h("section", { class: "card" }, h("h1", { text: module.label }),
      h("p", { text: "Elija una municipalidad en la barra superior para ver sus datos." })));
    return;
  }
  replace(mainNode, loading());
  const ctx = {
    me: state.me, code: state.municipality, municipalityName: municipalityName(), segments, query, navigate,
    can: (permission) => state.me.permissions.includes(permission),
    municipalities: state.municipalities,
    alive: () => seq === routeSeq, // false once the official moved to another page
    refreshMe: async () => { state.me = await api.get("/v1/admin/me"); return state.me; },
  };
  try {
    const page = await module.load();
    clear(mainNode);
    await page.render(mainNode, ctx);
  } catch (error) {
    replace(mainNode, errorBox(error));
  }
  mainNode.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
start();
