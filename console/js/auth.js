/**
 * Officials sign in against Cognito directly from the browser (the Cognito JSON API, no SDK):
 * USER_PASSWORD_AUTH, then the challenges Cognito may return (NEW_PASSWORD_REQUIRED at the first
 * sign-in, SOFTWARE_TOKEN_MFA when the account has a TOTP app). The tokens live in sessionStorage
 * only: closing the tab ends the session, and no refresh token is kept.
 */

const CONFIG = window.SEM_CONFIG || {};
const KEY = "sem.session";

const COGNITO_ERRORS = {
  NotAuthorizedException: "Correo o contraseña incorrectos, o la cuenta está deshabilitada.",
  UserNotFoundException: "Correo o contraseña incorrectos.",
  PasswordResetRequiredException: "Debe restablecer su contraseña; contacte al administrador municipal.",
  UserNotConfirmedException: "La cuenta aún no está confirmada.",
  InvalidPasswordException: "La nueva contraseña no cumple la política: al menos 12 caracteres, con mayúsculas, minúsculas, números y un símbolo.",
  CodeMismatchException: "El código no es correcto. Revise la hora de su teléfono e intente con el código siguiente.",
  ExpiredCodeException: "El código expiró; ingrese el código actual de su aplicación.",
  EnableSoftwareTokenMFAException: "El código no es correcto; vuelva a intentarlo.",
  TooManyRequestsException: "Demasiados intentos; espere un momento.",
  LimitExceededException: "Demasiados intentos; espere un momento.",
  InvalidParameterException: "Faltan datos o no son válidos.",
};

export class AuthError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

async function cognito(target, body) {
  if (!CONFIG.cognitoEndpoint || !CONFIG.clientId) {
    throw new AuthError("La consola no está configurada (config.js sin Cognito).", "config");
  }
  let response;
  try {
    response = await fetch(CONFIG.cognitoEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${target}`,
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new AuthError("No se pudo contactar el servicio de autenticación.", "network");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(data.__type || data.code || "").split("#").pop();
    throw new AuthError(COGNITO_ERRORS[type] || data.message || "No se pudo iniciar sesión.", type || "cognito");
  }
  return data;
}

/**
 * One step of the sign-in. Answers either {session} (signed in) or {challenge, …} for the next
 * step: "NEW_PASSWORD_REQUIRED" or "SOFTWARE_TOKEN_MFA".
 */
export async function signIn(email, password) {
  const data = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH", ClientId: CONFIG.clientId,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  return next(data, email);
}

export async function answerChallenge(step, answer) {
  const responses = { USERNAME: step.username };
  if (step.challenge === "NEW_PASSWORD_REQUIRED") responses.NEW_PASSWORD = answer;
  else if (step.challenge === "SOFTWARE_TOKEN_MFA") responses.SOFTWARE_TOKEN_MFA_CODE = answer;
  const data = await cognito("RespondToAuthChallenge", {
    ClientId: CONFIG.clientId, ChallengeName: step.challenge, Session: step.session, ChallengeResponses: responses,
  });
  return next(data, step.username);
}

function next(data, email) {
  if (data.AuthenticationResult) return { session: store(data.AuthenticationResult, email) };
  const challenge = data.ChallengeName;
  if (challenge === "NEW_PASSWORD_REQUIRED" || challenge === "SOFTWARE_TOKEN_MFA") {
    const username = (data.ChallengeParameters && data.ChallengeParameters.USER_ID_FOR_SRP) || email;
    return { challenge, session: data.Session, username };
  }
  throw new AuthError(`Cognito pidió un paso que la consola no maneja (${challenge}).`, "challenge");
}

function claims(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

function store(result, email) {
  const idClaims = claims(result.IdToken);
  const session = {
    idToken: result.IdToken, accessToken: result.AccessToken,
    exp: (idClaims.exp || 0) * 1000, email: idClaims.email || email,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function currentSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY) || "null");
    return session && session.idToken ? session : null;
  } catch {
    return null;
  }
}

export function isExpired(session, marginMs = 15000) {
  return !session || !session.exp || Date.now() > session.exp - marginMs;
}

/** Sign out here and, best effort, in Cognito (ends the refresh tokens of this account). */
export async function signOut({ everywhere = true } = {}) {
  const session = currentSession();
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem("sem.municipality");
  if (everywhere && session && session.accessToken && !isExpired(session, 0)) {
    try {
      await cognito("GlobalSignOut", { AccessToken: session.accessToken });
    } catch {
      /* the local session is gone either way */
    }
  }
}

// -- second factor (TOTP) enrolment --------------------------------------------------------------

export async function startTotp() {
  const session = currentSession();
  const data = await cognito("AssociateSoftwareToken", { AccessToken: session.accessToken });
  return data.SecretCode;
}

export async function confirmTotp(code) {
  const session = currentSession();
  const data = await cognito("VerifySoftwareToken", {
    AccessToken: session.accessToken, UserCode: code, FriendlyDeviceName: "SEM consola",
  });
  if (data.Status && data.Status !== "SUCCESS") throw new AuthError("El código no es correcto.", "totp");
  await cognito("SetUserMFAPreference", {
    AccessToken: session.accessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
  });
}
