/**
 * Panel: today's and the year's collections by service, the year month by month, and today's
 * latest payments. Figures come from the municipal report (`GET …/reports`, built from the daily
 * counters) when the API offers it to this profile; otherwise they are added up here from the
 * payments search (paid payments), and the page says so.
 */

import { api, muni } from "../api.js";
import { barChart, columnChart, legend } from "../charts.js";
import { h } from "../dom.js";
import { CONVENIO, SERVICIOS, SERVICIOS_CORTO, fecha, fechaHora, hoyChile, addDays, miles, pesos, servicio } from "../format.js";
import { STATUS_KIND, badge, card, errorBox, loading, notice, pageHeader, table } from "../ui.js";
import { reversalAlerts } from "./reversal-alerts.js";

const SERVICE_KEYS = ["permisos", "patentes", "aseo"];
const MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];
const MONTH_NAMES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
  "octubre", "noviembre", "diciembre"];
const SEARCH_BUDGET = 12; // requests the fallback may spend on the year

export async function render(root, ctx) {
  const today = hoyChile();
  const year = today.slice(0, 4);
  const sees = ctx.can("payments.read");
  root.append(pageHeader("Panel", ctx.me.central && !ctx.code
    ? "Plataforma de Servicios Municipales — vista nacional"
    : `Municipalidad de ${ctx.municipalityName || ctx.code} · ${fecha(today)}`));

  if (ctx.code) root.append(reversalAlerts(ctx));
  if (ctx.me.central && ctx.can("municipalities.read")) root.append(platformCard(ctx));
  if (ctx.me.central && !ctx.code && ctx.can("reports.central")) root.append(centralReport(year));
  if (!ctx.code) return;
  if (!sees) {
    root.append(welcome(ctx));
    return;
  }
  const kpis = h("div", { class: "kpis" }, loading("Calculando la recaudación…"));
  const charts = h("div", { class: "grid-2" });
  const months = h("div");
  const source = h("div");
  const latest = h("div");
  root.append(kpis, charts, months, source, latest);

  const paint = (f, yearPending) => {
    const todayRows = serviceRows(f.today);
    const yearRows = serviceRows(f.year);
    const total = (rows) => rows.reduce((sum, r) => sum + r.amount, 0);
    const count = (rows) => rows.reduce((sum, r) => sum + r.count, 0);
    const pending = yearPending ? "calculando…" : null;
    kpis.replaceChildren(
      kpi("Recaudado hoy", pesos(total(todayRows)), `${plural(count(todayRows), "pago", "pagos")} · ${fecha(today)}`, "kpi-today"),
      kpi(`Recaudado en ${year}`, pending || pesos(total(yearRows)), pending ? "sumando los pagos del año" : `${plural(count(yearRows), "pago", "pagos")} al ${fecha(today)}`, "kpi-year"),
      kpi("Ticket promedio del año", pending || (count(yearRows) ? pesos(Math.round(total(yearRows) / count(yearRows))) : "—"),
        "monto por pago", "kpi-avg"),
    );
    charts.replaceChildren(
      card("Hoy, por servicio", barChart(todayRows, { title: "Recaudación de hoy por servicio" }), legend(todayRows)),
      card(`Año ${year}, por servicio`, yearPending ? loading("Sumando los pagos del año…")
        : [barChart(yearRows, { title: `Recaudación ${year} por servicio` }), legend(yearRows)]),
    );
    const monthRows = MONTHS.map((short, i) => {
      const key = `${year}-${String(i + 1).padStart(2, "0")}`;
      const cell = f.months[key] || { amount: 0, count: 0 };
      return { key, short, label: `${MONTH_NAMES[i]} ${year}`, amount: cell.amount, count: cell.count };
    });
    months.replaceChildren(card(`Recaudación mensual ${year}`, yearPending ? loading()
      : columnChart(monthRows, { title: `Recaudación mensual ${year}`, highlight: today.slice(0, 7) })));
    source.replaceChildren(yearPending ? "" : h("p", { class: "source-note", id: "dashboard-source", text: f.note }));
  };
  latest.replaceChildren(card("Últimos pagos de hoy", latestPayments(ctx, today)));
  try {
    const todayOnly = await fromSearch(ctx, today, today, today);
    if (!ctx.alive()) return;
    paint(todayOnly, true);
    let wholeYear = null;
    if (ctx.can("reports.municipal")) {
      try {
        wholeYear = { ...(await fromReports(ctx, today, year)), today: todayOnly.today };
      } catch {
        wholeYear = null; // no report for this profile or stage: add the year up from the search
      }
    }
    if (!ctx.alive()) return;
    paint(wholeYear || await fromSearch(ctx, today, `${year}-01-01`, today), false);
  } catch (error) {
    if (ctx.alive()) kpis.replaceChildren(errorBox(error));
  }
}

function plural(n, one, many) {
  return `${miles(n)} ${n === 1 ? one : many}`;
}

function kpi(label, value, sub, id) {
  return h("div", { class: "kpi", id },
    h("span", { class: "kpi-label", text: label }), h("strong", { class: "kpi-value", text: value }),
    h("span", { class: "kpi-sub", text: sub }));
}

function serviceRows(byService) {
  const keys = [...SERVICE_KEYS, ...Object.keys(byService).filter((k) => !SERVICE_KEYS.includes(k))];
  return keys.map((key) => ({ key, label: SERVICIOS_CORTO[key] || SERVICIOS[key] || key,
    amount: (byService[key] || {}).amount || 0, count: (byService[key] || {}).count || 0 }))
    .filter((row) => SERVICE_KEYS.includes(row.key) || row.amount > 0);
}

/** The year from the municipal report (pre-aggregated counters), when the API offers it. Today
 * always comes from the payments search: one cheap Query of today's partition. */
async function fromReports(ctx, today, year) {
  const path = muni(ctx.code, "/reports");
  const first = `${year}-01-01`;
  const services = await api.get(path, { from: first, to: today, group: "service" });
  const monthly = await api.get(path, { from: first, to: today, group: "month" });
  const byKey = (report) => Object.fromEntries(report.rows.map((r) => [r.key, { amount: r.amount, count: r.payments }]));
  return { year: byKey(services), months: byKey(monthly),
    note: `Fuente: el año, del informe de recaudación de la API — ${services.source || "contadores diarios de pagos"}; `
      + "hoy, de la búsqueda de pagos pagados." };
}

/** Added up from the payments search (paid payments) when there is no report for this profile. */
async function fromSearch(ctx, today, first, last) {
  const code = ctx.code;
  const todayAgg = {};
  const yearAgg = {};
  const months = {};
  let spent = 0;
  let partial = false;
  const add = (agg, key, amount) => {
    const cell = agg[key] || (agg[key] = { amount: 0, count: 0 });
    cell.amount += amount;
    cell.count += 1;
  };
  // The year in chunks of at most 93 days (the search's limit), newest first.
  let to = last;
  outer:
  while (to >= first) {
    const from = [addDays(to, -92), first].sort().pop();
    let cursor = null;
    do {
      if (spent >= SEARCH_BUDGET) { partial = true; break outer; }
      if (!ctx.alive()) throw new Error("la página cambió");
      const page = await api.get(muni(code, "/payments"), { from, to, status: "paid", limit: 100, cursor });
      spent += 1;
      for (const p of page.items) {
        const service = p.services.length === 1 ? p.services[0] : (p.services.length ? "varios" : "otro");
        const day = String(p.paid_at || p.created_at || "").slice(0, 10) || to;
        add(yearAgg, service, p.amount);
        const m = (months[day.slice(0, 7)] ||= { amount: 0, count: 0 });
        m.amount += p.amount;
        m.count += 1;
        if (String(p.created_at || "").slice(0, 10) === today) add(todayAgg, service, p.amount);
      }
      cursor = page.cursor;
    } while (cursor);
    to = addDays(from, -1);
  }
  return { today: todayAgg, year: yearAgg, months,
    note: "Fuente: calculado en la consola desde la búsqueda de pagos pagados (la API no ofrece a este perfil un "
      + "informe de recaudación)" + (partial ? "; cifras parciales: hay más pagos de los que la consola suma." : ".") };
}

function latestPayments(ctx, today) {
  const slot = h("div", {}, loading());
  api.get(muni(ctx.code, "/payments"), { from: today, to: today, limit: 8 }).then((page) => {
    slot.replaceChildren(table([
      ["Hora", (p) => fechaHora(p.created_at).slice(11)],
      ["Pagador", (p) => p.payer && p.payer.name],
      ["Servicio", (p) => p.services.map(servicio).join(", ")],
      ["Estado", (p) => badge(p.status_text, STATUS_KIND[p.status])],
      ["Monto", (p) => pesos(p.amount), "num"],
      ["", (p) => h("a", { href: `#/pagos/${encodeURIComponent(p.payment_id)}`, class: "link", text: "Ver detalle" })],
    ], page.items, { empty: "Todavía no hay pagos hoy." }),
    h("p", {}, h("a", { href: "#/pagos", class: "link", text: "Ir a la búsqueda de pagos →" })));
  }).catch((error) => slot.replaceChildren(errorBox(error)));
  return slot;
}

function welcome(ctx) {
  const links = [
    ["roles", "Roles de cobro", "Cargar los roles de patentes y aseo y revisar sus errores.", "rolls.read"],
    ["configuracion", "Configuración", "Imagen del comprobante, servicios, orígenes del portal y claves.", "settings.read"],
    ["funcionarios", "Funcionarios", "Crear cuentas, cambiar perfiles y desactivar.", "officials.read"],
    ["auditoria", "Auditoría", "Quién cambió qué y cuándo.", "audit.read"],
  ].filter(([, , , perm]) => ctx.can(perm));
  const grid = h("div", { class: "tiles" }, links.map(([path, title, text]) =>
    h("a", { class: "tile", href: `#/${path}` }, h("strong", { text: title }), h("span", { text }))));
  const out = [card(null, h("p", { text: `Bienvenido(a), ${ctx.me.name}. Su perfil (${ctx.me.profile_name}) administra la `
    + "municipalidad; los pagos los ven los perfiles de finanzas." }), grid)];
  if (ctx.can("settings.read")) {
    const slot = h("div", {}, loading());
    api.get(muni(ctx.code, "/settings")).then((s) => {
      const agreement = s.agreement || {};
      slot.replaceChildren(h("dl", { class: "facts" },
        h("dt", { text: "Convenio con SUBDERE" }), h("dd", {}, agreement.status ? badge(CONVENIO[agreement.status] || agreement.status,
          agreement.status === "in_force" ? "ok" : "warn") : "—", agreement.valid_until ? ` hasta ${fecha(agreement.valid_until)}` : ""),
        h("dt", { text: "Servicios habilitados" }), h("dd", { text: s.services.map(servicio).join(", ") || "ninguno" }),
        h("dt", { text: "Claves de portal activas" }), h("dd", { text: String(s.portal_keys.filter((k) => k.status === "active").length) })));
    }).catch((error) => slot.replaceChildren(errorBox(error)));
    out.push(card("Estado de la municipalidad", slot));
  }
  return out;
}

function platformCard(ctx) {
  const list = ctx.municipalities || [];
  const enabled = list.filter((m) => m.enabled).length;
  const inForce = list.filter((m) => m.agreement && m.agreement.status === "in_force").length;
  return h("div", {},
    h("div", { class: "kpis" },
      kpi("Municipalidades", miles(list.length), "en la plataforma", "kpi-munis"),
      kpi("Habilitadas", miles(enabled), "reciben pagos en línea", "kpi-enabled"),
      kpi("Convenios vigentes", miles(inForce), "con SUBDERE", "kpi-agreements")),
    ctx.code ? null : notice("Elija una municipalidad en la barra superior para ver su recaudación, pagos y configuración.", "info"));
}

/** SUBDERE: the platform's year to date against the same date of last year (`GET /v1/admin/central/reports`). */
function centralReport(year) {
  const slot = h("div", {}, loading("Cargando las estadísticas nacionales…"));
  api.get("/v1/admin/central/reports", { year }).then((r) => {
    const rows = (r.current.by_service || []).map((x) => ({ key: x.service, label: SERVICIOS_CORTO[x.service] || x.label,
      amount: x.amount, count: x.payments }));
    const monthRows = (r.current.by_month || []).map((x) => ({ key: `${year}-${String(x.month).padStart(2, "0")}`,
      short: MONTHS[x.month - 1], label: x.label, amount: x.amount, count: x.payments }));
    const change = r.change && r.change.amount_percent != null ? `${r.change.amount_percent >= 0 ? "+" : ""}${r.change.amount_percent}% sobre ${year - 1}` : "sin año anterior";
    slot.replaceChildren(
      h("div", { class: "kpis" },
        kpi(`Recaudación ${year}`, pesos(r.current.amount), change, "kpi-national"),
        kpi("Transacciones", miles(r.current.payments), `al ${fecha(r.as_of)}`, "kpi-national-tx"),
        kpi("Municipios con pagos", miles(r.current.municipalities), `${miles(r.previous.municipalities)} en ${year - 1}`, "kpi-national-m")),
      card(`Año ${year} en la plataforma, por servicio`, barChart(rows, { title: "Recaudación nacional por servicio" }), legend(rows)),
      card(`Recaudación mensual de la plataforma, ${year}`, columnChart(monthRows, { title: "Recaudación nacional mensual",
        highlight: `${year}-${r.as_of.slice(5, 7)}` })),
      h("p", { class: "source-note", text: r.sentence }));
  }).catch((error) => slot.replaceChildren(errorBox(error)));
  return slot;
}
