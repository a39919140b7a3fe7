/** Sign-in: e-mail and password, then whatever Cognito asks (new password, TOTP code). */

import { answerChallenge, signIn } from "../auth.js";
import { h, replace } from "../dom.js";
import { errorBox, notice } from "../ui.js";

export function renderSignIn(root, { message, onSignedIn }) {
  const slot = h("div", { class: "status-slot", id: "signin-status" });
  const body = h("div");
  const stage = (window.SEM_CONFIG || {}).stage;
  replace(root, h("main", { class: "signin" },
    h("div", { class: "signin-card" },
      h("div", { class: "signin-brand" },
        h("span", { class: "brand-mark brand-mark-lg", "aria-hidden": "true" }, "SEM"),
        h("div", {}, h("h1", { text: "Consola municipal" }),
          h("p", { class: "subtitle", text: "Plataforma de Servicios Municipales" }))),
      message ? notice(message, "warn") : null,
      slot, body,
      h("p", { class: "signin-foot" },
        "Acceso exclusivo para funcionarios municipales y de SUBDERE. Cada acción queda registrada.",
        stage && stage !== "prod" ? h("span", { class: "env-chip", text: `ambiente ${stage}` }) : null))));

  const showError = (error) => replace(slot, errorBox(error));

  async function step(promise, button) {
    button.disabled = true;
    replace(slot);
    try {
      const result = await promise;
      // A challenge also carries Cognito's session id: look at the challenge first.
      if (result.challenge === "NEW_PASSWORD_REQUIRED") newPassword(result);
      else if (result.challenge === "SOFTWARE_TOKEN_MFA") mfa(result);
      else onSignedIn();
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  }

  function credentials() {
    const email = h("input", { type: "email", name: "email", id: "email", autocomplete: "username", required: true,
      placeholder: "nombre@municipalidad.cl" });
    const password = h("input", { type: "password", name: "password", id: "password", autocomplete: "current-password",
      required: true });
    const button = h("button", { class: "btn btn-primary btn-block", type: "submit", id: "signin-submit", text: "Ingresar" });
    const form = h("form", { class: "stack", novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      if (!email.value.trim() || !password.value) {
        showError({ message: "Ingrese su correo y su contraseña." });
        return;
      }
      step(signIn(email.value.trim().toLowerCase(), password.value), button);
    } },
    h("div", { class: "field" }, h("label", { for: "email", text: "Correo institucional" }), email),
    h("div", { class: "field" }, h("label", { for: "password", text: "Contraseña" }), password),
    button);
    replace(body, form);
    email.focus();
  }

  function newPassword(challenge) {
    const first = h("input", { type: "password", id: "new-password", autocomplete: "new-password", required: true, minlength: 12 });
    const again = h("input", { type: "password", id: "new-password-2", autocomplete: "new-password", required: true });
    const button = h("button", { class: "btn btn-primary btn-block", type: "submit", text: "Guardar contraseña e ingresar" });
    replace(body, h("form", { class: "stack", onsubmit: (event) => {
      event.preventDefault();
      if (first.value !== again.value) {
        showError({ message: "Las contraseñas no coinciden." });
        return;
      }
      step(answerChallenge(challenge, first.value), button);
    } },
    notice("Es su primer ingreso: elija una contraseña nueva (al menos 12 caracteres, con mayúsculas, minúsculas, números y un símbolo).", "info"),
    h("div", { class: "field" }, h("label", { for: "new-password", text: "Contraseña nueva" }), first),
    h("div", { class: "field" }, h("label", { for: "new-password-2", text: "Repita la contraseña" }), again),
    button));
    first.focus();
  }

  function mfa(challenge) {
    const code = h("input", { id: "totp-code", inputmode: "numeric", autocomplete: "one-time-code", pattern: "\\d{6}",
      maxlength: 6, required: true, class: "code-input" });
    const button = h("button", { class: "btn btn-primary btn-block", type: "submit", id: "totp-submit", text: "Verificar" });
    replace(body, h("form", { class: "stack", onsubmit: (event) => {
      event.preventDefault();
      step(answerChallenge(challenge, code.value.trim()), button);
    } },
    notice("Ingrese el código de 6 dígitos de su aplicación de autenticación.", "info"),
    h("div", { class: "field" }, h("label", { for: "totp-code", text: "Código de verificación" }), code),
    button,
    h("button", { class: "btn btn-link", type: "button", text: "Volver", onclick: credentials })));
    code.focus();
  }

  credentials();
}
