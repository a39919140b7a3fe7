/** Firma electrónica: the official's own advanced electronic signature — the certificate's state
 * and the enrollment (the certificate carries the RUN the administrator registered for the
 * account; nothing here lets the official type one), add the secret to a code app (the otpauth URI is shown
 * once, as text: no QR is drawn), confirm with the first code. docs/signatures.md. */

import { api } from "../api.js";
import { h, field, clear } from "../dom.js";
import { fecha, fechaHora, rut } from "../format.js";
import { badge, busy, card, errorBox, facts, loading, notice, pageHeader, statusSlot } from "../ui.js";
import { kindText, showSignError } from "./signatures-common.js";

const STATUS = {
  not_enrolled: ["Sin firma enrolada", "neutral"], pending: ["Pendiente de confirmar", "warn"],
  active: ["Vigente", "ok"], revoked: ["Revocada", "bad"],
};

export async function render(root, ctx) {
  root.append(pageHeader("Firma electrónica",
    "Su certificado para firmar nóminas y convenios con un código de un solo uso (Ley N° 19.799)"));
  const body = h("div");
  root.append(body);
  await show(body, ctx);
}

async function show(body, ctx) {
  clear(body).append(loading());
  let mine;
  try {
    mine = await api.get("/v1/admin/me/signature");
  } catch (error) {
    clear(body).append(errorBox(error));
    return;
  }
  if (!ctx.alive()) return;
  const [label, kind] = STATUS[mine.status] || [mine.status, "neutral"];
  const cert = mine.certificate || {};
  const trust = h("span", { id: "sig-trust", text: "—" });
  const status = h("span", { id: "sig-status", dataset: { status: mine.status } }, badge(label, kind));
  clear(body).append(card("Mi certificado",
    facts([
      ["Estado", status],
      ["Tipo de firma", h("span", { id: "sig-kind", text: kindText(mine.signs_with) })],
      mine.status !== "not_enrolled" && ["Titular", mine.name],
      mine.status !== "not_enrolled" && ["RUN", rut(mine.run)],
      mine.status !== "not_enrolled" && ["Perfil", mine.profile_name || mine.profile],
      mine.status !== "not_enrolled" && ["N° de serie", h("code", { id: "sig-serial", text: cert.serial || "—" })],
      mine.status !== "not_enrolled" && ["Válido desde", fecha(cert.not_before)],
      mine.status !== "not_enrolled" && ["Válido hasta", h("span", { id: "sig-valid-until", text: fecha(cert.not_after) })],
      mine.confirmed_at && ["Confirmado", fechaHora(mine.confirmed_at)],
      mine.revoked_at && ["Revocado", `${fechaHora(mine.revoked_at)} (${mine.revocation_reason || "—"})`],
      mine.status !== "not_enrolled" && ["Estado público del certificado", trust],
      mine.otp_locked_until && new Date(mine.otp_locked_until) > new Date() && ["Bloqueo por códigos incorrectos", `hasta ${fechaHora(mine.otp_locked_until)}`],
    ]),
    mine.status === "active" ? notice("Su firma está activa: puede firmar con el código de su aplicación.", "success") : null,
    mine.status === "pending" ? notice("Enrolamiento pendiente: confirme con el primer código. Si ya no tiene el enlace (se muestra una sola vez), enrole nuevamente.", "warn") : null));
  if (cert.serial && mine.status !== "not_enrolled") {
    api.get(`/v1/trust/certificates/${encodeURIComponent(cert.serial)}`).then((s) => {
      trust.replaceChildren(s.status === "good" ? badge("Vigente (no revocado)", "ok")
        : badge(`Revocado${s.reason_text ? `: ${s.reason_text}` : ""}`, "bad"));
    }).catch(() => { trust.textContent = "No disponible"; });
  }
  body.append(enrollCard(body, ctx, mine));
}

function enrollCard(body, ctx, mine) {
  const slot = statusSlot();
  const replacing = mine.status === "active";
  const current = replacing ? h("input", { id: "sig-current-otp", inputmode: "numeric", maxlength: 6, class: "code-input",
    autocomplete: "one-time-code", placeholder: "000000" }) : null;
  const submit = h("button", { type: "submit", class: replacing ? "btn" : "btn btn-primary", id: "sig-enroll",
    text: replacing ? "Reemplazar mi firma" : "Enrolar mi firma" });
  const next = h("div", { id: "sig-next" });
  const form = h("form", { class: "stack", onsubmit: (event) => {
    event.preventDefault();
    if (replacing && !window.confirm("¿Reemplazar su firma? El certificado actual quedará revocado.")) return;
    busy(submit, null, async () => {
      slot.clear();
      const payload = {};
      if (current && current.value.trim()) payload.otp = current.value.trim();
      try {
        const answer = await api.post("/v1/admin/me/signature", payload);
        form.remove();
        clear(next).append(confirmStep(body, ctx, answer));
      } catch (error) {
        await showSignError(slot, error);
      }
    });
  } },
  h("p", { text: replacing
    ? "Para cambiar de aplicación, enrole una nueva firma. Ingrese un código de su firma vigente."
    : "1. Se creará su llave de firma (no sale de la plataforma) y un secreto para su aplicación de códigos." }),
  h("p", { class: "muted", id: "sig-run-note", text: "Su certificado llevará el RUN que el administrador registró al crear su cuenta. Si no es el suyo, no enrole su firma y avise al administrador: un RUN registrado no se cambia, se crea una cuenta nueva." }),
  current ? h("div", { class: "filters-grid" }, field("Código de la firma vigente", current)) : null,
  h("div", { class: "buttons" }, submit));
  return card(replacing ? "Reemplazar mi firma" : "Enrolar mi firma", slot.node, form, next);
}

function confirmStep(body, ctx, answer) {
  const uri = answer.otpauth_uri || "";
  let secret = "";
  try {
    secret = new URL(uri).searchParams.get("secret") || "";
  } catch { /* shown as the URI only */ }
  const slot = statusSlot();
  const code = h("input", { id: "sig-confirm-otp", inputmode: "numeric", maxlength: 6, required: true, class: "code-input",
    autocomplete: "one-time-code", placeholder: "000000" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "sig-confirm", text: "Confirmar y activar" });
  return h("form", { class: "stack", onsubmit: (event) => {
    event.preventDefault();
    busy(submit, null, async () => {
      slot.clear();
      try {
        await api.post("/v1/admin/me/signature/confirm", { otp: code.value.trim() });
        await show(body, ctx);
        body.prepend(notice("Firma activada. Ya puede firmar con los códigos de su aplicación.", "success"));
      } catch (error) {
        code.value = "";
        await showSignError(slot, error);
      }
    });
  } },
  notice("Esta clave se muestra UNA sola vez: agréguela ahora a su aplicación (Google Authenticator, Microsoft Authenticator, FreeOTP…).", "warn"),
  h("p", { text: "2. En su aplicación, agregue una cuenta basada en tiempo con esta clave:" }),
  h("div", { class: "key-once", id: "sig-secret", text: secret.replace(/(.{4})/g, "$1 ").trim() || "—" }),
  h("div", { class: "sig-uri" }, h("small", { class: "muted", text: "O copie este enlace otpauth en una aplicación que lo acepte (sin código QR en esta versión):" }),
    h("code", { id: "sig-otpauth", text: uri })),
  h("p", { text: "3. Ingrese el primer código de 6 dígitos que muestra la aplicación:" }),
  field("Código", code), h("div", { class: "buttons" }, submit), slot.node);
}
