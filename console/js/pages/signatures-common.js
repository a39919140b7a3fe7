/** Shared pieces of the signature pages: the one-time code form, the explanation of a refused code
 * (wrong, locked with the time it ends) and the verification of a signed PDF. */

import { api } from "../api.js";
import { h, field } from "../dom.js";
import { fechaHora, rut } from "../format.js";
import { badge, busy, errorBox, notice } from "../ui.js";

const CONFIG = window.SEM_CONFIG || {};

/**
 * A form asking for the 6-digit code of the official's signing app; `action(otp)` does the call.
 * ids: `${id}-otp` (input), `${id}` (button).
 */
export function otpForm({ id, label, slot, action, hint }) {
  const input = h("input", { id: `${id}-otp`, inputmode: "numeric", maxlength: 6, pattern: "\\d{6}", required: true,
    class: "code-input", autocomplete: "one-time-code", placeholder: "000000" });
  const button = h("button", { type: "submit", class: "btn btn-primary", id, text: label });
  return h("form", { class: "otp-form", onsubmit: (event) => {
    event.preventDefault();
    const otp = input.value.trim();
    if (!/^\d{6}$/.test(otp)) {
      slot.fail({ message: "Ingrese los 6 dígitos del código de su aplicación de firma.", code: "otp_format" });
      return;
    }
    busy(button, null, async () => {
      slot.clear();
      try {
        await action(otp);
        input.value = "";
      } catch (error) {
        input.value = "";
        await showSignError(slot, error);
      }
    });
  } }, field("Código de firma (6 dígitos)", input, hint || "El código de su aplicación de firma (no el del ingreso)."),
  h("div", { class: "buttons" }, button));
}

/** A refused signature as the official should read it: wrong code, locked until…, not enrolled. */
export async function showSignError(slot, error) {
  slot.fail(error);
  const extra = [];
  if (error.status === 429) {
    let until = null;
    try {
      until = (await api.get("/v1/admin/me/signature")).otp_locked_until;
    } catch { /* the lock message stands alone */ }
    extra.push(notice(until
      ? `Demasiados códigos incorrectos: la firma está bloqueada hasta ${fechaHora(until)}.`
      : "Demasiados códigos incorrectos: la firma está bloqueada por unos minutos.", "warn"));
  } else if (error.code === "otp_invalid") {
    extra.push(notice("El código no es válido o ya fue usado. Espere el siguiente código de su aplicación e intente nuevamente.", "warn"));
  } else if (error.code === "signature_not_enrolled") {
    extra.push(h("p", {}, "Primero enrole su firma en ", h("a", { href: "#/firma", text: "Firma electrónica" }), "."));
  }
  slot.node.append(...extra);
}

/** Download a signed PDF (presigned link) and send its bytes to the public verification route. */
export async function verifyLink(url) {
  let pdf;
  try {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    pdf = await response.arrayBuffer();
  } catch {
    throw { message: "No se pudo descargar el documento para verificarlo (el enlace dura 5 minutos: recargue la página).", code: "download_failed" };
  }
  let response;
  try {
    response = await fetch(`${CONFIG.apiUrl}/v1/signatures/verify`, {
      method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: pdf, cache: "no-store" });
  } catch {
    throw { message: "No se pudo contactar la verificación de firmas.", code: "network" };
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw { message: (data.error && data.error.message) || `La verificación respondió ${response.status}.`, code: data.error && data.error.code };
  return data;
}

/** What a signature is under Ley N° 19.799, as the API states it (`signs_with` / `kind`): the
 * level and, for an advanced one, the accredited provider and the certificate's issuer. */
export function kindText(kind) {
  if (!kind) return "firma electrónica";
  return kind.accredited ? `${kind.level_text} (${kind.provider}; certificado emitido por ${kind.issuer})`
    : `${kind.level_text} (certificado de la autoridad certificadora propia de la plataforma; no es un prestador acreditado)`;
}

/** The verification's answer: valid or not, and each signature. */
export function verificationView(result) {
  const rows = (result.signatures || []).map((s) => h("li", { class: "sig-line" },
    s.intact && s.trusted && s.certificate && s.certificate.valid_at_signing ? badge("Firma válida", "ok") : badge("Firma no válida", "bad"),
    " ", h("strong", { text: s.signer || "—" }),
    ` · RUN ${rut(s.run)} · ${s.profile_name || s.profile || "—"} · ${s.municipality || "—"} · ${fechaHora(s.signed_at)}`,
    ` · ${s.kind ? kindText(s.kind) : "firma no confiable"}`,
    s.certificate && s.certificate.status === "revoked" ? ` · certificado revocado ${fechaHora(s.certificate.revoked_at)}` : ""));
  return h("div", { class: "verify-result", dataset: { valid: String(Boolean(result.valid)) } },
    result.valid ? badge("Documento verificado: firmas válidas", "ok") : badge(`No válido${result.reason ? `: ${result.reason}` : ""}`, "bad"),
    h("ul", { class: "sig-list" }, rows));
}

/** A "Verificar" button that shows the outcome in `target`. */
export function verifyButton(url, target, id) {
  const button = h("button", { type: "button", class: "btn btn-small btn-ghost", id: id || null, text: "Verificar" });
  button.addEventListener("click", () => busy(button, null, async () => {
    target.replaceChildren(h("small", { class: "muted", text: "Verificando…" }));
    try {
      target.replaceChildren(verificationView(await verifyLink(url)));
    } catch (error) {
      target.replaceChildren(errorBox(error));
    }
  }));
  return button;
}
