// SEM's citizen routes in JavaScript with fetch only (Node 18+, Deno, or a browser): quote a
// permit, start its payment, ask for the payment's status. From a server, the portal key stays
// there; from the municipality's own pages, the browser sends it and SEM checks the page's origin
// against the municipality's registered origins (docs/integration.md, "The portal key").
//
//   SEM_API_URL=https://api.sem.example SEM_MUNICIPALITY=13101 SEM_API_KEY=sem_13101_… \
//     node sem.mjs quote BBBB10 2027
//     node sem.mjs pay BBBB10 2027 12.345.678-5 'María Pérez Soto' maria@example.cl https://www.muni.cl/pagos/retorno
//     node sem.mjs status <payment_id> <access_token>
//
// Each command prints SEM's JSON answer and exits 1 on an HTTP error, printing the error envelope
// {"error": {"code", "message", "field", "request_id"}}.

export class SemError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export class Sem {
  constructor(apiUrl, municipality, apiKey) {
    this.apiUrl = apiUrl.replace(/\/+$/, "");
    this.municipality = municipality;
    this.apiKey = apiKey;
  }

  /** The quote: vehicle (owner masked), amounts, checks, payable and reasons. */
  quote(plate, year) {
    const query = new URLSearchParams({ plate, year: String(year) });
    return this.#call("GET", `/v1/municipalities/${this.municipality}/permits/quote?${query}`,
      { "X-Api-Key": this.apiKey });
  }

  /** Starts a payment. idempotencyKey: one per cart, kept and resent on any retry. */
  pay(items, payer, returnUrl, idempotencyKey) {
    return this.#call("POST", `/v1/municipalities/${this.municipality}/payments`,
      { "X-Api-Key": this.apiKey, "Idempotency-Key": idempotencyKey },
      { items, payer, return_url: returnUrl });
  }

  /** The payment's status and, once issued, its receipt. */
  status(paymentId, accessToken) {
    return this.#call("GET", `/v1/payments/${encodeURIComponent(paymentId)}`,
      { Authorization: `Bearer ${accessToken}` });
  }

  async #call(method, path, headers, body) {
    const init = { method, headers: { Accept: "application/json", ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(this.apiUrl + path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new SemError(response.status, data);
    return data;
  }
}

async function main(argv) {
  const env = globalThis.process.env;
  const sem = new Sem(env.SEM_API_URL || "http://127.0.0.1:8000", env.SEM_MUNICIPALITY || "", env.SEM_API_KEY || "");
  const [command, ...args] = argv;
  let answer;
  try {
    if (command === "quote") answer = await sem.quote(args[0], Number(args[1]));
    else if (command === "pay") {
      answer = await sem.pay([{ type: "permit", plate: args[0], year: Number(args[1]), installment: "full" }],
        { rut: args[2], name: args[3], email: args[4] }, args[5], env.SEM_IDEMPOTENCY_KEY || crypto.randomUUID());
    } else if (command === "status") answer = await sem.status(args[0], args[1]);
    else {
      console.error("usage: node sem.mjs quote PLATE YEAR | pay PLATE YEAR RUT NAME EMAIL RETURN_URL | status PAYMENT_ID TOKEN");
      return 2;
    }
  } catch (error) {
    if (!(error instanceof SemError)) throw error;
    console.log(JSON.stringify(error.body));
    console.error(`SEM answered ${error.status}: ${error.message}`);
    return 1;
  }
  console.log(JSON.stringify(answer));
  return 0;
}

if (globalThis.process?.argv?.[1] && import.meta.url === new URL(`file://${globalThis.process.argv[1]}`).href) {
  globalThis.process.exitCode = await main(globalThis.process.argv.slice(2));
}
