/**
 * Informes (two menu entries, one module):
 *
 * - `#/informes` — a municipality's operation report (`GET …/reports`, `reports.municipal`): a period,
 *   collections / transactions / average ticket by month (by day for short periods), by service and
 *   by payment method, the table, and the CSV for spreadsheets.
 * - `#/estadisticas` — SUBDERE's national report (`GET /v1/admin/central/reports`, `reports.central`):
 *   the year to date against the same date of the previous year (the sentence the operator
 *   publishes), charts, the CSV and the PDF (the API answers a short-lived download link).
 *
 * Reports read the daily counters (docs/reports.md): paid payments only, in Chile's days.
 */

import { api, muni } from "../api.js";
import { barChart, colourFor, legend } from "../charts.js";
import { h, s, field, replace, select } from "../dom.js";
import { SERVICIOS, SERVICIOS_CORTO, fecha, hoyChile, miles, pesos, pesosCorto } from "../format.js";
import { busy, card, errorBox, loading, notice, pageHeader, statusSlot, table } from "../ui.js";

const MONTHS_SHORT = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const METRICS = {
  amount: { label: "Recaudación", format: pesos, axis: pesosCorto },
  payments: { label: "Transacciones", format: miles, axis: (v) => miles(v) },
  average_ticket: { label: "Ticket promedio", format: pesos, axis: pesosCorto },
};
const METHODS_SHORT = { credito: "Crédito", debito: "Débito", transferencia: "Transferencia", casas_comerciales: "Casa comercial",
  desconocido: "No informado" };
const GROUPS = { month: "Mes", day: "Día", service: "Servicio", method: "Medio de pago" };

export async function render(root, ctx) {
  if (ctx.segments[0] === "estadisticas") return national(root, ctx);
  return municipal(root, ctx);
}

// -- shared pieces -------------------------------------------------------------------------------

function kpi(label, value, sub, id, trend) {
  return h("div", { class: "kpi", id },
    h("span", { class: "kpi-label", text: label }), h("strong", { class: "kpi-value", text: value }),
    h("span", { class: "kpi-sub" }, trend || null, trend ? " " : null, sub));
}

function percent(value) {
  if (value == null) return null;
  return `${value >= 0 ? "+" : "−"}${Math.abs(value)}%`;
}

function trendBadge(value) {
  if (value == null) return null;
  return h("span", { class: `trend ${value >= 0 ? "trend-up" : "trend-down"}`, text: `${value >= 0 ? "▲" : "▼"} ${percent(value)}` });
}

function metricChips(current, onPick) {
  return h("div", { class: "chips metric-chips", role: "group", "aria-label": "Cifra del gráfico" },
    Object.entries(METRICS).map(([key, m]) => h("button", { type: "button", class: "chip", text: m.label,
      dataset: { metric: key }, "aria-pressed": String(key === current), onclick: () => onPick(key) })));
}

/** A nice round axis top and step: 23.450 → 30.000 in steps of 10.000. */
function niceScale(value) {
  const raw = Math.max(1, value) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((x) => x >= raw);
  return { top: Math.ceil(Math.max(1, value) / step) * step, step };
}

/**
 * Columns by period with one or two series: rows = [{short, label, values: [current, previous?]}].
 * `format` labels the tooltips and `axis` the scale.
 */
function columns(rows, { title, series, format, axis, highlight }) {
  const width = 960;
  const height = 260;
  const left = 74;
  const bottom = 28;
  const top = 12;
  const plotH = height - bottom - top;
  const max = Math.max(1, ...rows.flatMap((r) => r.values.filter((v) => v != null)));
  const { top: scaleTop, step: tick } = niceScale(max);
  const step = (width - left - 8) / Math.max(1, rows.length);
  const n = series.length;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart chart-columns", role: "img", "aria-label": title });
  svg.append(s("title", { text: title }));
  for (let value = 0; value <= scaleTop; value += tick) {
    const y = top + plotH - (value / scaleTop) * plotH;
    svg.append(s("line", { x1: left, x2: width - 4, y1: y, y2: y, class: "chart-grid" }),
      s("text", { x: left - 8, y: y + 4, class: "chart-axis", "text-anchor": "end", text: axis(value) }));
  }
  const labelEvery = Math.ceil(rows.length / 16);
  rows.forEach((row, i) => {
    const groupW = step * (n === 1 ? 0.64 : 0.78);
    const x0 = left + i * step + (step - groupW) / 2;
    const w = groupW / n;
    row.values.forEach((value, k) => {
      const v = value || 0;
      const hgt = (v / scaleTop) * plotH;
      const cls = k === 0 ? (highlight && row.key === highlight ? "chart-col chart-col-current" : `chart-col ${n > 1 ? "series-a" : ""}`)
        : "chart-col series-b";
      svg.append(s("rect", { x: x0 + k * w + (n > 1 ? 1 : 0), y: top + plotH - hgt, width: Math.max(1, w - (n > 1 ? 2 : 0)),
        height: Math.max(0, hgt), rx: 2, class: cls },
      s("title", { text: `${row.label}${n > 1 ? ` ${series[k]}` : ""}: ${format(v)}` })));
    });
    if (i % labelEvery === 0) {
      svg.append(s("text", { x: left + i * step + step / 2, y: height - 10, class: "chart-axis", "text-anchor": "middle",
        text: row.short }));
    }
  });
  return svg;
}

function seriesLegend(series) {
  return h("ul", { class: "legend" }, series.map((name, k) => h("li", {},
    h("span", { class: `swatch ${k === 0 ? "swatch-a" : "swatch-b"}` }), name)));
}

/** Save a fetched file (the API's CSV) under its Content-Disposition name, or `fallback`. */
async function saveResponse(response, fallback) {
  const blob = await response.blob();
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || fallback;
  const link = h("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  return name;
}

/** The first day of the month `n` months before `iso`'s month. */
function monthsBack(iso, n) {
  const total = Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7)) - 1 - n;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, "0")}-01`;
}

// -- a municipality's report ---------------------------------------------------------------------

async function municipal(root, ctx) {
  const today = hoyChile();
  const year = today.slice(0, 4);
  const q = {
    from: DAY.test(ctx.query.get("desde") || "") ? ctx.query.get("desde") : `${year}-01-01`,
    to: DAY.test(ctx.query.get("hasta") || "") ? ctx.query.get("hasta") : today,
    group: GROUPS[ctx.query.get("grupo")] ? ctx.query.get("grupo") : "month",
  };
  const inputs = {
    from: h("input", { type: "date", name: "desde", id: "report-from", value: q.from, max: today }),
    to: h("input", { type: "date", name: "hasta", id: "report-to", value: q.to, max: today }),
    group: select("grupo", Object.entries(GROUPS), q.group),
  };
  inputs.group.id = "report-group";
  const go = (from, to) => ctx.navigate("informes", { desde: from, hasta: to, grupo: inputs.group.value });
  const quick = (label, from, to) => h("button", { type: "button", class: "chip", text: label, onclick: () => go(from, to) });
  const lastYear = String(Number(year) - 1);
  const form = h("form", { class: "filters", id: "report-filters", onsubmit: (event) => {
    event.preventDefault();
    go(inputs.from.value, inputs.to.value);
  } },
  h("div", { class: "filters-grid" }, field("Desde", inputs.from), field("Hasta", inputs.to),
    field("Tabla y CSV por", inputs.group)),
  h("div", { class: "filters-actions" },
    h("div", { class: "chips" },
      quick(`Año ${year}`, `${year}-01-01`, today),
      quick("Últimos 12 meses", monthsBack(today, 11), today),
      quick("Este mes", `${today.slice(0, 8)}01`, today),
      quick(`Año ${lastYear}`, `${lastYear}-01-01`, `${lastYear}-12-31`)),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "btn btn-primary", id: "report-submit", text: "Ver informe" }))));

  const csvSlot = statusSlot();
  const csvButton = h("button", { type: "button", class: "btn", id: "report-csv", text: "Descargar CSV",
    onclick: () => busy(csvButton, csvSlot, async () => {
      const response = await api.download(muni(ctx.code, "/reports"), { from: q.from, to: q.to, group: q.group, format: "csv" });
      const name = await saveResponse(response, `informe-${ctx.code}-${q.from}-${q.to}-${q.group}.csv`);
      csvSlot.ok(`Se descargó ${name} (separado por punto y coma; se abre en Excel).`);
    }) });
  root.append(pageHeader("Informes", `Municipalidad de ${ctx.municipalityName || ctx.code} · del ${fecha(q.from)} al ${fecha(q.to)}`, csvButton),
    card(null, form), csvSlot.node);

  const body = h("div", { id: "report-body" }, loading("Preparando el informe…"));
  root.append(body);
  const days = Math.round((Date.parse(q.to) - Date.parse(q.from)) / 86400000) + 1;
  const timeGroup = days <= 62 ? "day" : "month";
  const path = muni(ctx.code, "/reports");
  const ask = (group) => api.get(path, { from: q.from, to: q.to, group });
  // Each part is painted as its answer arrives (the API reads the counters once per grouping).
  const kpis = h("div", { class: "kpis" }, loading("Sumando el período…"));
  const chartSlot = h("div", {}, loading());
  const serviceSlot = h("div", {}, loading());
  const methodSlot = h("div", {}, loading());
  const tableSlot = h("div", {}, loading());
  const source = h("div");
  replace(body, kpis, card(`Evolución ${timeGroup === "month" ? "mensual" : "diaria"}`, chartSlot),
    h("div", { class: "grid-2" }, card("Por servicio", serviceSlot), card("Por medio de pago", methodSlot)),
    card(`Detalle por ${GROUPS[q.group].toLowerCase()}`, tableSlot), source);
  const paint = (promise, slot, draw) => promise.then((report) => { if (ctx.alive()) draw(report); })
    .catch((error) => { if (ctx.alive()) replace(slot, errorBox(error)); });
  const timeReport = ask(timeGroup);
  const answers = { [timeGroup]: timeReport, service: ask("service"), method: ask("method") };
  const groupReport = answers[q.group] || ask(q.group);

  let metric = METRICS[ctx.query.get("cifra")] ? ctx.query.get("cifra") : "amount";
  paint(timeReport, kpis, (report) => {
    const t = report.totals;
    replace(kpis,
      kpi("Recaudación", pesos(t.amount), `del ${fecha(q.from)} al ${fecha(q.to)}`, "report-kpi-amount"),
      kpi("Transacciones", miles(t.payments), `${miles(t.items)} ítem(s) pagados`, "report-kpi-payments"),
      kpi("Ticket promedio", pesos(t.average_ticket), "recaudación / transacciones", "report-kpi-ticket"));
    const paintChart = () => {
      const m = METRICS[metric];
      const rows = report.rows.map((r) => ({ key: r.key, label: r.label, values: [r[metric]],
        short: timeGroup === "month"
          ? `${MONTHS_SHORT[Number(r.key.slice(5, 7)) - 1]}${r.key.slice(0, 4) !== q.to.slice(0, 4) ? ` ${r.key.slice(2, 4)}` : ""}`
          : r.key.slice(8, 10) }));
      replace(chartSlot,
        metricChips(metric, (key) => { metric = key; paintChart(); }),
        columns(rows, { title: `${m.label} por ${timeGroup === "month" ? "mes" : "día"}`, series: [m.label], format: m.format,
          axis: m.axis, highlight: timeGroup === "month" ? today.slice(0, 7) : today }));
    };
    paintChart();
    replace(source, h("p", { class: "source-note", id: "report-source",
      text: `Fuente: ${report.source}. Transacciones = pagos; un carro con varios servicios cuenta en cada uno.` }));
  });
  const bars = (report, short) => report.rows.filter((r) => r.amount > 0 || r.payments > 0)
    .map((r) => ({ key: r.key, label: short[r.key] || r.label, amount: r.amount, count: r.payments }));
  const empty = () => h("p", { class: "empty", text: "Sin pagos en el período." });
  paint(answers.service, serviceSlot, (report) => {
    const rows = bars(report, SERVICIOS_CORTO);
    replace(serviceSlot, rows.length ? [barChart(rows, { title: "Recaudación por servicio", unit: "pagos" }),
      legend(rows.map((r) => ({ ...r, label: SERVICIOS[r.key] || r.label })))] : empty());
  });
  paint(answers.method, methodSlot, (report) => {
    const rows = bars(report, METHODS_SHORT);
    replace(methodSlot, rows.length ? barChart(rows, { title: "Recaudación por medio de pago", unit: "pagos" }) : empty());
  });
  paint(groupReport, tableSlot, (report) => replace(tableSlot, reportTable(report, q.group)));
  await Promise.allSettled([timeReport, answers.service, answers.method, groupReport]);
}

function reportTable(report, group) {
  const rows = group === "day" ? report.rows.filter((r) => r.payments > 0) : report.rows;
  const node = table([
    [GROUPS[group], (r) => r.label],
    ["Transacciones", (r) => miles(r.payments), "num"],
    ["Ítems", (r) => miles(r.items), "num"],
    ["Ticket promedio", (r) => pesos(r.average_ticket), "num"],
    ["Recaudación", (r) => pesos(r.amount), "num"],
  ], rows.length ? [...rows, { label: "Total", ...report.totals }] : [], { empty: "Sin pagos en el período.", caption: "Informe" });
  node.id = "report-table";
  node.querySelector("tbody tr:last-child")?.classList.add("row-total");
  return node;
}

// -- the national report (SUBDERE) -----------------------------------------------------------------

async function national(root, ctx) {
  const today = hoyChile();
  const thisYear = Number(today.slice(0, 4));
  const asked = Number(ctx.query.get("anio"));
  const year = Number.isInteger(asked) && asked >= 2020 && asked <= thisYear ? asked : thisYear;
  const asOf = DAY.test(ctx.query.get("corte") || "") ? ctx.query.get("corte") : "";
  const yearSelect = select("anio", Array.from({ length: thisYear - 2019 }, (_, i) => [String(thisYear - i), String(thisYear - i)]), String(year));
  yearSelect.id = "national-year";
  const asOfInput = h("input", { type: "date", name: "corte", id: "national-as-of", value: asOf, max: today });
  const form = h("form", { class: "filters national-filters", id: "national-filters", onsubmit: (event) => {
    event.preventDefault();
    ctx.navigate("estadisticas", { anio: yearSelect.value, corte: asOfInput.value });
  } },
  h("div", { class: "filters-grid" }, field("Año", yearSelect),
    field("Fecha de corte", asOfInput, "Vacía: hoy (o el 31-12 de un año pasado)."),
    h("div", { class: "field field-button" }, h("button", { type: "submit", class: "btn btn-primary", id: "national-submit", text: "Ver informe" }))));

  const query = { year, as_of: asOf || undefined };
  const downloads = statusSlot();
  const csvButton = h("button", { type: "button", class: "btn", id: "national-csv", text: "Descargar CSV",
    onclick: () => busy(csvButton, downloads, async () => {
      const response = await api.download("/v1/admin/central/reports", { ...query, format: "csv" });
      const name = await saveResponse(response, `estadisticas-sem-${year}.csv`);
      downloads.ok(`Se descargó ${name}.`);
    }) });
  const pdfButton = h("button", { type: "button", class: "btn btn-primary", id: "national-pdf", text: "Descargar PDF",
    onclick: () => busy(pdfButton, downloads, async () => {
      const link = await api.get("/v1/admin/central/reports", { ...query, format: "pdf" });
      const name = `estadisticas-sem-${link.year}.pdf`;
      // The link is an attachment (Content-Disposition), so following it downloads without leaving the console.
      const auto = h("a", { href: link.download_url, download: name });
      document.body.append(auto);
      auto.click();
      auto.remove();
      const minutes = Math.max(1, Math.round((link.expires_in || 300) / 60));
      replace(downloads.node, h("div", { class: "alert alert-success", role: "status", id: "national-pdf-ready" },
        `Informe PDF generado (${miles(Math.ceil((link.bytes || 0) / 1024))} KB). Si la descarga no comenzó, `,
        h("a", { href: link.download_url, id: "national-pdf-link", text: `descargue ${name}` }),
        ` (el enlace vale ${minutes} minuto${minutes === 1 ? "" : "s"}).`));
    }) });
  root.append(pageHeader("Estadísticas nacionales", `Plataforma SEM · año ${year}${asOf ? ` al ${fecha(asOf)}` : ""}`, csvButton, pdfButton),
    card(null, form), downloads.node);

  const body = h("div", { id: "national-body" }, loading("Sumando la plataforma…"));
  root.append(body);
  let r;
  try {
    r = await api.get("/v1/admin/central/reports", query);
  } catch (error) {
    if (ctx.alive()) replace(body, errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  const cur = r.current;
  const prev = r.previous;
  const change = r.change || {};
  const previousYear = r.year - 1;
  let metric = "amount";
  const chartSlot = h("div");
  const paintChart = () => {
    const m = METRICS[metric];
    const rows = cur.by_month.map((c, i) => ({ key: `${r.year}-${String(c.month).padStart(2, "0")}`, label: c.label,
      short: MONTHS_SHORT[c.month - 1], values: [c[metric], prev.by_month[i] ? prev.by_month[i][metric] : 0] }));
    replace(chartSlot, metricChips(metric, (key) => { metric = key; paintChart(); }),
      columns(rows, { title: `${m.label} por mes, ${r.year} y ${previousYear}`, series: [String(r.year), String(previousYear)],
        format: m.format, axis: m.axis }),
      seriesLegend([`${r.year} (al ${fecha(r.as_of)})`, `${previousYear} (a la misma fecha)`]));
  };
  paintChart();
  const services = (cur.by_service || []).filter((x) => x.amount > 0)
    .map((x) => ({ key: x.service, label: SERVICIOS_CORTO[x.service] || x.label, amount: x.amount, count: x.payments }));
  const prevService = Object.fromEntries((prev.by_service || []).map((x) => [x.service, x]));
  replace(body,
    h("section", { class: "card headline", id: "national-sentence" },
      h("span", { class: "kpi-label", text: `Al ${fecha(r.as_of)}, comparado con la misma fecha de ${previousYear}` }),
      h("p", { class: "headline-text", text: r.sentence })),
    h("div", { class: "kpis kpis-4" },
      kpi("Municipios con pagos", miles(cur.municipalities), `${miles(prev.municipalities)} en ${previousYear}`, "national-kpi-munis",
        change.municipalities ? h("span", { class: `trend ${change.municipalities > 0 ? "trend-up" : "trend-down"}`,
          text: `${change.municipalities > 0 ? "+" : "−"}${Math.abs(change.municipalities)}` }) : null),
      kpi("Transacciones", miles(cur.payments), `${miles(prev.payments)} en ${previousYear}`, "national-kpi-payments", trendBadge(change.payments_percent)),
      kpi("Recaudación", pesos(cur.amount), `${pesos(prev.amount)} en ${previousYear}`, "national-kpi-amount", trendBadge(change.amount_percent)),
      kpi("Ticket promedio", pesos(cur.average_ticket), `${pesos(prev.average_ticket)} en ${previousYear}`, "national-kpi-ticket")),
    card(`Por mes: ${r.year} frente a ${previousYear}`, chartSlot),
    h("div", { class: "grid-2" },
      card(`Por servicio, ${r.year}`, services.length ? [barChart(services, { title: "Recaudación nacional por servicio", unit: "pagos" }),
        legend(services.map((x) => ({ ...x, label: SERVICIOS[x.key] || x.label })))]
        : h("p", { class: "empty", text: "Sin pagos en el período." })),
      card(`Variación por servicio`, table([
        ["Servicio", (x) => h("span", { class: "nowrap" }, h("span", { class: "swatch", style: { background: colourFor(x.service, 0) } }),
          SERVICIOS_CORTO[x.service] || x.label)],
        [String(r.year), (x) => pesos(x.amount), "num"],
        [String(previousYear), (x) => pesos(prevService[x.service]?.amount ?? 0), "num"],
        ["Variación", (x) => percent(pctChange(x.amount, prevService[x.service]?.amount ?? 0)) ?? "—", "num"],
      ], cur.by_service || [], { empty: "Sin pagos en el período." }))),
    h("details", { class: "card", id: "national-months" }, h("summary", { class: "card-title", text: "Tabla por mes" }),
      table([
        ["Mes", (x) => x.label],
        [`Transacciones ${r.year}`, (x) => miles(x.payments), "num"],
        [`Recaudación ${r.year}`, (x) => pesos(x.amount), "num"],
        [`Transacciones ${previousYear}`, (x) => miles(x.prev.payments), "num"],
        [`Recaudación ${previousYear}`, (x) => pesos(x.prev.amount), "num"],
        ["Variación", (x) => percent(pctChange(x.amount, x.prev.amount)) ?? "—", "num"],
      ], cur.by_month.map((x, i) => ({ ...x, prev: prev.by_month[i] || { amount: 0, payments: 0 } })))),
    h("p", { class: "source-note", text: `${r.note || ""} Fuente: contadores diarios de la plataforma; del ${fecha(cur.from)} al ${fecha(cur.to)} `
      + `y del ${fecha(prev.from)} al ${fecha(prev.to)}.` }),
  );
  if (!ctx.me.central) body.prepend(notice("Este informe es del nivel central.", "info"));
}

/** Whole-percent change, half up; null without a previous figure. */
function pctChange(current, previous) {
  if (!previous) return null;
  return Math.round(((current - previous) * 100) / previous);
}
