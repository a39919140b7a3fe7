// The offline receipt verifier: checks the ES256 token a receipt's QR carries (after "#t=") with
// the municipalities' public keys (JWKS, GET /v1/trust/jwks.json), fetched once and kept in this
// browser. Verifying makes no network call: WebCrypto checks the signature on the device.
// Claims (docs/verification.md): f folio, m municipality, d issue date, a amount, p permits.

const STORE = "sem.verificador.jwks";
const INSTALLMENTS = { full: "Pago total", first: "Primera cuota", second: "Segunda cuota" };

const $ = (id) => document.getElementById(id);

function b64urlBytes(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function b64urlJson(text) {
  return JSON.parse(new TextDecoder().decode(b64urlBytes(text)));
}

function savedKeys() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) || "null");
    return saved && Array.isArray(saved.keys) ? saved : null;
  } catch {
    return null;
  }
}

function showKeys() {
  const saved = savedKeys();
  $("llaves-estado").textContent = saved
    ? `${saved.keys.length} llave(s) guardada(s) el ${new Date(saved.fetchedAt).toLocaleString("es-CL")}`
    : "Sin llaves guardadas: descárguelas una vez con conexión.";
}

async function downloadKeys() {
  const base = (window.SEM_CONFIG && window.SEM_CONFIG.apiUrl) || "";
  try {
    const response = await fetch(`${base}/v1/trust/jwks.json`, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    const jwks = await response.json();
    localStorage.setItem(STORE, JSON.stringify({ keys: jwks.keys || [], fetchedAt: Date.now() }));
    showKeys();
  } catch {
    $("llaves-estado").textContent = "No fue posible descargar las llaves; revise la conexión e intente de nuevo.";
  }
}

function tokenOf(text) {
  const trimmed = text.trim();
  const at = trimmed.indexOf("#t=");
  return at >= 0 ? trimmed.slice(at + 3) : trimmed;
}

export async function verifyToken(token, keys) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("El texto no contiene un comprobante firmado.");
  let header, claims, signature;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
    signature = b64urlBytes(parts[2]);
  } catch {
    throw new Error("El texto no contiene un comprobante firmado.");
  }
  if (header.alg !== "ES256") throw new Error("Algoritmo de firma no admitido.");
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error("No hay llave para esta municipalidad: actualice las llaves con conexión.");
  if (!String(header.kid).startsWith(`${claims.m}-`) || !String(claims.f || "").startsWith(`${claims.m}-`)) {
    throw new Error("La llave no corresponde a la municipalidad del comprobante.");
  }
  const key = await crypto.subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature,
    new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
  if (!ok) throw new Error("La firma NO es válida: el comprobante fue alterado o no es auténtico.");
  return claims;
}

function pesos(amount) {
  return "$" + Number(amount).toLocaleString("es-CL");
}

function date(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
  return m ? `${m[3]}-${m[2]}-${m[1]}` : String(iso || "");
}

function row(list, label, value) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function show(ok, title, detail, claims) {
  const box = $("resultado");
  box.hidden = false;
  box.className = `card ${ok ? "ok" : "bad"}`;
  $("estado").textContent = title;
  $("detalle").textContent = detail;
  const list = $("datos");
  list.replaceChildren();
  if (!claims) return;
  row(list, "Folio", claims.f);
  row(list, "Municipalidad (código)", claims.m);
  row(list, "Fecha de emisión", date(claims.d));
  row(list, "Monto", pesos(claims.a));
  for (const [plate, year, installment, validUntil] of claims.p || []) {
    row(list, "Patente", plate);
    row(list, "Permiso", `${year} · ${INSTALLMENTS[installment] || installment}`);
    row(list, "Vigente hasta", date(validUntil));
  }
}

async function verify() {
  const saved = savedKeys();
  try {
    const claims = await verifyToken(tokenOf($("qr").value), saved ? saved.keys : []);
    show(true, "Firma válida", "Los datos siguientes fueron firmados por la municipalidad; compárelos con el papel.", claims);
  } catch (error) {
    show(false, "No verificado", error.message, null);
  }
}

$("llaves-descargar").addEventListener("click", downloadKeys);
$("verificar").addEventListener("click", verify);
showKeys();
