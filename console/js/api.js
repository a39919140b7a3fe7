/**
 * The admin API: every call carries the official's ID token; every error becomes an ApiError with
 * the envelope's `message`, `code`, `field` and `request_id` (docs/admin-api.md), which the pages
 * show as they are. A 401 ends the session (the token expired, or the API ended it: a profile,
 * password or second-factor change signs the official out everywhere).
 */

import { currentSession, isExpired } from "./auth.js";

const CONFIG = window.SEM_CONFIG || {};
let onUnauthenticated = () => {};

export function whenUnauthenticated(handler) {
  onUnauthenticated = handler;
}

export class ApiError extends Error {
  constructor({ status, code, message, field, requestId }) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.requestId = requestId;
  }
}

function url(path, query) {
  const target = new URL(CONFIG.apiUrl + path);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(key, String(value));
  }
  return target.href;
}

async function send(method, path, { query, body, raw = false } = {}) {
  const session = currentSession();
  if (isExpired(session)) {
    onUnauthenticated("Su sesión expiró. Inicie sesión nuevamente.");
    throw new ApiError({ status: 401, code: "session_expired", message: "Su sesión expiró. Inicie sesión nuevamente." });
  }
  const headers = { Authorization: `Bearer ${session.idToken}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url(path, query), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
    });
  } catch {
    throw new ApiError({ status: 0, code: "network", message: "No se pudo contactar la API. Revise su conexión e intente nuevamente." });
  }
  if (response.ok) return raw ? response : (response.status === 204 ? null : response.json());
  const data = await response.json().catch(() => ({}));
  const envelope = data && typeof data.error === "object" && data.error ? data.error : null;
  const error = new ApiError({
    status: response.status,
    code: envelope ? envelope.code : `http_${response.status}`,
    message: envelope ? envelope.message : fallbackMessage(response.status),
    field: envelope ? envelope.field : null,
    requestId: envelope ? envelope.request_id : response.headers.get("X-Request-Id"),
  });
  if (response.status === 401) {
    // session_ended: the account changed (profile, password, second factor); the API says what to do.
    onUnauthenticated(error.code === "session_ended" ? error.message
      : "Su sesión expiró o ya no es válida. Inicie sesión nuevamente.");
  }
  throw error;
}

function fallbackMessage(status) {
  // No envelope: the gateway itself answered (an unknown route is 403/404 there).
  if (status === 403 || status === 404) return "La API no ofrece esta operación (ruta no disponible en esta versión).";
  if (status >= 500) return "La API tuvo un problema. Intente nuevamente.";
  return `La API respondió ${status}.`;
}

export const api = {
  get: (path, query) => send("GET", path, { query }),
  post: (path, body) => send("POST", path, { body: body ?? {} }),
  patch: (path, body) => send("PATCH", path, { body }),
  put: (path, body) => send("PUT", path, { body }),
  /** The raw Response (files: the CSV export). */
  download: (path, query) => send("GET", path, { query, raw: true }),
};

/** `/v1/admin/municipalities/{code}` + rest */
export function muni(code, rest = "") {
  return `/v1/admin/municipalities/${encodeURIComponent(code)}${rest}`;
}

/** PUT a file to a presigned URL (roll CSV, logo PNG) with the headers the API signed. */
export async function putFile(uploadUrl, file, headers) {
  let response;
  try {
    response = await fetch(uploadUrl, { method: "PUT", headers: headers || {}, body: file });
  } catch {
    throw new ApiError({ status: 0, code: "upload_network", message: "No se pudo subir el archivo al almacenamiento (red o CORS del bucket)." });
  }
  if (!response.ok) {
    throw new ApiError({ status: response.status, code: "upload_failed",
      message: `El almacenamiento rechazó el archivo (HTTP ${response.status}); solicite un nuevo enlace e intente otra vez.` });
  }
}
