/** Charts drawn as inline SVG (no library): horizontal bars and columns, with text labels. */

import { h, s } from "./dom.js";
import { miles, pesos, pesosCorto } from "./format.js";

export const SERVICE_COLOURS = { permisos: "#1f6fb2", patentes: "#c77c0e", aseo: "#2e8b57" };
const FALLBACK = ["#1f6fb2", "#c77c0e", "#2e8b57", "#7a4fb5", "#b23a48"];

export function colourFor(key, index) {
  return SERVICE_COLOURS[key] || FALLBACK[index % FALLBACK.length];
}

/**
 * Horizontal bars: rows = [{key, label, amount, count}]. Each bar shows its amount and count.
 */
export function barChart(rows, { title, unit = "pagos" } = {}) {
  const width = 560;
  const rowH = 44;
  const labelW = 120;
  const height = Math.max(1, rows.length) * rowH + 8;
  const max = Math.max(1, ...rows.map((r) => r.amount));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart chart-bars", role: "img",
    "aria-label": title || "Gráfico de barras" });
  if (title) svg.append(s("title", { text: title }));
  rows.forEach((row, i) => {
    const y = i * rowH + 6;
    const barMax = width - labelW - 150;
    const w = row.amount > 0 ? Math.max(3, (row.amount / max) * barMax) : 0;
    svg.append(
      s("text", { x: 0, y: y + 15, class: "chart-label", text: row.label }),
      s("text", { x: 0, y: y + 31, class: "chart-sub", text: `${miles(row.count ?? 0)} ${row.count === 1 ? unit.replace(/s$/, "") : unit}` }),
      s("rect", { x: labelW, y: y + 4, width: barMax, height: 24, rx: 4, class: "chart-track" }),
      s("rect", { x: labelW, y: y + 4, width: w, height: 24, rx: 4, fill: colourFor(row.key, i) },
        s("title", { text: `${row.label}: ${pesos(row.amount)}` })),
      s("text", { x: labelW + barMax + 8, y: y + 21, class: "chart-value", text: pesos(row.amount) }),
    );
  });
  return svg;
}

/** Columns by period: rows = [{key, label, amount, count}], e.g. the months of the year. */
export function columnChart(rows, { title, highlight } = {}) {
  const width = 960;
  const height = 250;
  const left = 70;
  const bottom = 28;
  const top = 12;
  const plotH = height - bottom - top;
  const { top: max, step: tick } = niceScale(Math.max(1, ...rows.map((r) => r.amount)));
  const step = (width - left - 8) / Math.max(1, rows.length);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart chart-columns", role: "img",
    "aria-label": title || "Gráfico de columnas" });
  if (title) svg.append(s("title", { text: title }));
  for (let value = 0; value <= max; value += tick) {
    const y = top + plotH - (value / max) * plotH;
    svg.append(s("line", { x1: left, x2: width - 4, y1: y, y2: y, class: "chart-grid" }),
      s("text", { x: left - 8, y: y + 4, class: "chart-axis", "text-anchor": "end", text: pesosCorto(value) }));
  }
  rows.forEach((row, i) => {
    const hgt = (row.amount / max) * plotH;
    const x = left + i * step + step * 0.18;
    const w = step * 0.64;
    svg.append(
      s("rect", { x, y: top + plotH - hgt, width: w, height: Math.max(0, hgt), rx: 3,
        class: row.key === highlight ? "chart-col chart-col-current" : "chart-col" },
      s("title", { text: `${row.label}: ${pesos(row.amount)} (${row.count ?? 0} pagos)` })),
      s("text", { x: x + w / 2, y: height - 10, class: "chart-axis", "text-anchor": "middle", text: row.short || row.label }),
    );
  });
  return svg;
}

/** A round top for the axis and its step: 23.450 → 30.000 in steps of 10.000. */
function niceScale(value) {
  const raw = value / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((x) => x >= raw);
  return { top: Math.ceil(value / step) * step, step };
}

/** A legend for service colours. */
export function legend(rows) {
  return h("ul", { class: "legend" }, rows.map((row, i) => h("li", {},
    h("span", { class: "swatch", style: { background: colourFor(row.key, i) } }), row.label)));
}
