/** Second factor: the profiles that authorize payments enrol a TOTP app (Cognito
 * AssociateSoftwareToken → VerifySoftwareToken → SetUserMFAPreference); the official then signs
 * in again, with the code (the API ends the sessions begun without it). */

import { confirmTotp, startTotp } from "../auth.js";
import { h, field } from "../dom.js";
import { busy, card, notice, pageHeader, statusSlot } from "../ui.js";

export async function render(root, ctx) {
  const totp = ctx.me.totp || {};
  root.append(pageHeader("Segundo factor de autenticación", "Aplicación de códigos (Google Authenticator, Microsoft Authenticator, FreeOTP…)"));
  if (totp.enrolled) {
    root.append(card(null, notice("Su cuenta ya tiene segundo factor: Cognito le pedirá el código en cada ingreso.", "success")));
    return;
  }
  const slot = statusSlot();
  const secretBox = h("div");
  const start = h("button", { type: "button", class: "btn btn-primary", id: "totp-start", text: "Configurar ahora" });
  start.addEventListener("click", () => busy(start, slot, async () => {
    const secret = await startTotp();
    const uri = `otpauth://totp/SEM:${encodeURIComponent(ctx.me.email)}?secret=${secret}&issuer=SEM`;
    const code = h("input", { id: "totp-verify-code", inputmode: "numeric", maxlength: 6, class: "code-input", autocomplete: "one-time-code" });
    const verify = h("button", { type: "submit", class: "btn btn-primary", text: "Verificar y activar" });
    secretBox.replaceChildren(h("form", { class: "stack", onsubmit: (event) => {
      event.preventDefault();
      busy(verify, slot, async () => {
        await confirmTotp(code.value.trim());
        // Sessions follow enrolment: the API ends every session begun without the code, this one
        // included. Reading /me makes it do so now; the 401 leads to the sign-in, which asks for the code.
        try {
          await ctx.refreshMe();
        } catch (error) {
          if (error.status === 401) return;
          throw error;
        }
        slot.ok("Segundo factor activado. Desde su próximo ingreso se le pedirá el código.");
        secretBox.replaceChildren(h("button", { type: "button", class: "btn btn-primary", id: "totp-continue",
          text: "Continuar a la consola", onclick: () => ctx.navigate("inicio") }));
      });
    } },
    h("p", { text: "1. En su aplicación, agregue una cuenta con esta clave (tipo: basada en tiempo):" }),
    h("div", { class: "key-once", id: "totp-secret", text: secret.replace(/(.{4})/g, "$1 ").trim() }),
    h("small", { class: "muted" }, "O copie este enlace en una aplicación que lo acepte: ", h("code", { text: uri })),
    h("p", { text: "2. Ingrese el código de 6 dígitos que muestra la aplicación:" }),
    field("Código", code), h("div", {}, verify)));
  }));
  root.append(card(null,
    notice(totp.required
      ? `Su perfil (${ctx.me.profile_name}) autoriza pagos: la consola se habilita cuando configure un segundo factor.`
      : "Puede proteger su cuenta con un segundo factor.", totp.required ? "warn" : "info"),
    h("div", { class: "buttons" }, start), slot.node, secretBox));
}
