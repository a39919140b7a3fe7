#!/bin/sh
# SEM's citizen routes with curl: quote a permit, start its payment, ask for the payment's status.
# Run from the municipality's server (the portal key never goes to a browser from here).
#
#   export SEM_API_URL=https://api.sem.example   SEM_MUNICIPALITY=13101   SEM_API_KEY=sem_13101_…
#   ./sem.sh quote  BBBB10 2027
#   ./sem.sh pay    BBBB10 2027 12.345.678-5 'María Pérez Soto' maria@example.cl https://www.muni.cl/pagos/retorno
#   ./sem.sh status <payment_id> <access_token>
#
# Each command prints SEM's JSON answer on stdout and exits non-zero on an HTTP error (curl's 22) (the answer
# is then the error envelope {"error": {"code", "message", "field", "request_id"}}).
set -eu

: "${SEM_API_URL:?set SEM_API_URL}" "${SEM_MUNICIPALITY:?set SEM_MUNICIPALITY}"
base="$SEM_API_URL/v1/municipalities/$SEM_MUNICIPALITY"

case "${1:-}" in
quote)  # GET the quote: vehicle, amounts, checks, payable and reasons
    curl --silent --show-error --fail-with-body -G "$base/permits/quote" \
        -H "X-Api-Key: $SEM_API_KEY" -H "Accept: application/json" \
        --data-urlencode "plate=$2" --data-urlencode "year=$3"
    ;;
pay)  # POST the payment. One Idempotency-Key per cart: keep it and resend it on any retry.
    key="${SEM_IDEMPOTENCY_KEY:-$(cat /proc/sys/kernel/random/uuid)}"
    # printf keeps the example short; with names that may hold quotes, build the body with jq -n.
    body=$(printf '{"items": [{"type": "permit", "plate": "%s", "year": %d, "installment": "full"}],
  "payer": {"rut": "%s", "name": "%s", "email": "%s"}, "return_url": "%s"}' "$2" "$3" "$4" "$5" "$6" "$7")
    curl --silent --show-error --fail-with-body -X POST "$base/payments" \
        -H "X-Api-Key: $SEM_API_KEY" -H "Idempotency-Key: $key" \
        -H "Content-Type: application/json" -H "Accept: application/json" --data-binary "$body"
    ;;
status)  # GET the payment with its access token (no portal key needed)
    curl --silent --show-error --fail-with-body "$SEM_API_URL/v1/payments/$2" \
        -H "Authorization: Bearer $3" -H "Accept: application/json"
    ;;
*)
    echo "usage: $0 quote PLATE YEAR | pay PLATE YEAR RUT NAME EMAIL RETURN_URL | status PAYMENT_ID TOKEN" >&2
    exit 2
    ;;
esac
