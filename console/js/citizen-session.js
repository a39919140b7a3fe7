/**
 * What the citizen's pages ("Mis pagos", "Flotas") share: the API address, the session kept in
 * sessionStorage (the `state` of a ClaveÚnica sign-in under way, then our short session token),
 * a tiny element builder and the API call that answers in the error envelope.
 */

export const API = (window.SEM_CONFIG && window.SEM_CONFIG.apiUrl) || "";
export const STATE = "sem.citizen.state";
export const SESSION = "sem.citizen.session";
export const NEXT = "sem.citizen.next";

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `Error ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.code;
  }
}

/** Call the API with the session's token; an answer that is not 2xx throws an `ApiError`. */
export async function api(method, path, { body, headers } = {}) {
  const session = sessionStorage.getItem(SESSION);
  const h = { ...(headers || {}) };
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (session) h.Authorization = `Bearer ${session}`;
  const response = await fetch(`${API}${path}`, { method, headers: h,
    body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Start a ClaveÚnica sign-in and go there; `next` names the page to come back to afterwards. */
export async function beginSignIn(next) {
  const started = await api("POST", "/v1/citizen/session/start");
  sessionStorage.setItem(STATE, started.state);
  if (next) sessionStorage.setItem(NEXT, next);
  window.location.assign(started.authorize_url);
}

/**
 * The frame of a citizen page: `show` replaces its content; `showError` shows an error (a 401 ends
 * the session and asks to sign in again); `signInScreen` offers ClaveÚnica under the page's `lead`;
 * `next` names the page ClaveÚnica's return leads back to.
 */
export function pageFrame(app, who, lead, next) {
  const show = (...nodes) => app.replaceChildren(...nodes);
  function showError(error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(SESSION);
      signInScreen(error.message);
      return;
    }
    show(el("p", { class: "error", role: "alert" }, error.message || "Ocurrió un error; intente nuevamente."));
  }
  async function startSignIn() {
    try {
      await beginSignIn(next);
    } catch (error) {
      showError(error);
    }
  }
  function signInScreen(message) {
    who.textContent = "";
    show(el("section", { class: "signin" },
      message ? el("p", { class: "error", role: "alert" }, message) : null,
      el("p", {}, lead),
      el("button", { type: "button", id: "signin", onclick: startSignIn }, "Ingresar con ClaveÚnica")));
  }
  return { show, showError, signInScreen };
}
