/** Chilean formats: "$12.345", "31-03-2027", "31-03-2027 14:05", RUT "12.345.678-5". */

export function pesos(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  const digits = String(Math.abs(Math.round(value))).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return (value < 0 ? "-$" : "$") + digits;
}

export function miles(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

/** Short amounts for chart axes: "$350 mil", "$2,5 M", "$1.500 M" (M = millones, as in "MM$"). */
export function pesosCorto(value) {
  if (value >= 1e7) return `$${miles(Math.round(value / 1e6))} M`;
  if (value >= 1e6) return `$${(value / 1e6).toFixed(1).replace(".", ",")} M`;
  if (value >= 1e3) return `$${miles(Math.round(value / 1e3))} mil`;
  return pesos(value);
}

/** "2027-03-31" → "31-03-2027". */
export function fecha(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value ?? ""));
  return m ? `${m[3]}-${m[2]}-${m[1]}` : (value ? String(value) : "—");
}

const CL_TIME = new Intl.DateTimeFormat("es-CL", {
  timeZone: "America/Santiago", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});

/** An instant shown in Chile's time: "31-03-2027 14:05". */
export function fechaHora(value) {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = Object.fromEntries(CL_TIME.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.day}-${parts.month}-${parts.year} ${parts.hour === "24" ? "00" : parts.hour}:${parts.minute}`;
}

/** Today in Chile's calendar, "AAAA-MM-DD" (the API's payment days are Chile's days). */
export function hoyChile(offsetDays = 0) {
  const date = new Date(Date.now() + offsetDays * 86400000);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone: "America/Santiago", year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

export function addDays(iso, days) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** "12345678-5" → "12.345.678-5". */
export function rut(value) {
  const m = /^(\d{1,9})-?([\dkK])$/.exec(String(value ?? "").replace(/\./g, ""));
  if (!m) return value ? String(value) : "—";
  return `${m[1].replace(/\B(?=(\d{3})+(?!\d))/g, ".")}-${m[2].toUpperCase()}`;
}

export const SERVICIOS = { permisos: "Permisos de circulación", patentes: "Patentes municipales", aseo: "Derechos de aseo" };
export const SERVICIOS_CORTO = { permisos: "Permisos", patentes: "Patentes", aseo: "Aseo" };
export const ESTADOS = {
  pending: "Pendiente", paid: "Pagado", rejected: "Rechazado", expired: "Expirado",
  cancelled: "Anulado", review: "En revisión", refund_pending: "Devolución en curso", refunded: "Devuelto",
  partially_refunded: "Devuelto en parte", refund_failed: "Devolución fallida", reversed: "Contracargo (reversado)",
};
export const MEDIOS = {
  credito: "Tarjeta de crédito", debito: "Tarjeta de débito", transferencia: "Transferencia",
  casas_comerciales: "Tarjeta de casa comercial",
};
export const PERFILES = {
  alcalde: "Alcalde(sa)", director_finanzas: "Director(a) de Finanzas", tesorero: "Tesorero(a)",
  tesorero_subrogante: "Tesorero(a) subrogante", operador_rentas: "Operador(a) de Rentas",
  operador_transito: "Operador(a) de Tránsito", administrador_municipal: "Administrador(a) municipal",
  administrador_subdere: "Administrador(a) SUBDERE", soporte: "Soporte SUBDERE (solo lectura)",
};
export const PERFILES_MUNICIPALES = ["alcalde", "director_finanzas", "tesorero", "tesorero_subrogante",
  "operador_rentas", "operador_transito", "administrador_municipal"];
export const CONVENIO = {
  negotiating: "En negociación", in_force: "Vigente", suspended: "Suspendido", terminated: "Terminado",
};

export function servicio(key) { return SERVICIOS[key] || key; }
export function estado(key) { return ESTADOS[key] || key; }
