<?php
// SEM's citizen routes from a municipality's PHP site: quote a permit, start its payment, ask for
// the payment's status. Plain PHP 8 (the http stream wrapper and json, no extension to install);
// runs on the municipality's server, where the portal key stays.
//
//   SEM_API_URL=https://api.sem.example SEM_MUNICIPALITY=13101 SEM_API_KEY=sem_13101_… \
//     php sem.php quote BBBB10 2027
//     php sem.php pay BBBB10 2027 12.345.678-5 'María Pérez Soto' maria@example.cl https://www.muni.cl/pagos/retorno
//     php sem.php status <payment_id> <access_token>
//
// Each command prints SEM's JSON answer and exits 1 on an HTTP error, printing the error envelope
// {"error": {"code", "message", "field", "request_id"}}: show `message` (Spanish) to the citizen,
// log `code` and `request_id`.

declare(strict_types=1);

final class SemError extends RuntimeException
{
    public function __construct(public readonly int $status, public readonly array $body)
    {
        parent::__construct($body['error']['message'] ?? "HTTP $status");
    }
}

final class Sem
{
    public function __construct(private string $apiUrl, private string $municipality, private string $apiKey)
    {
    }

    /** The quote: vehicle (owner masked), amounts, checks, payable and reasons. */
    public function quote(string $plate, int $year): array
    {
        $query = http_build_query(['plate' => $plate, 'year' => $year]);
        return $this->call('GET', "/v1/municipalities/{$this->municipality}/permits/quote?$query",
                           ['X-Api-Key: ' . $this->apiKey]);
    }

    /**
     * Starts a payment; send the citizen to its checkout_url and keep payment_id and access_token.
     * $idempotencyKey: one per cart, kept (e.g. in the PHP session) and resent on any retry.
     */
    public function pay(array $items, array $payer, string $returnUrl, string $idempotencyKey): array
    {
        $body = ['items' => $items, 'payer' => $payer, 'return_url' => $returnUrl];
        return $this->call('POST', "/v1/municipalities/{$this->municipality}/payments",
                           ['X-Api-Key: ' . $this->apiKey, 'Idempotency-Key: ' . $idempotencyKey], $body);
    }

    /** The payment's status (pending, paid, rejected, expired, review) and, once issued, its receipt. */
    public function status(string $paymentId, string $accessToken): array
    {
        return $this->call('GET', '/v1/payments/' . rawurlencode($paymentId), ['Authorization: Bearer ' . $accessToken]);
    }

    private function call(string $method, string $path, array $headers, ?array $body = null): array
    {
        $headers[] = 'Accept: application/json';
        $options = ['method' => $method, 'ignore_errors' => true, 'timeout' => 30];
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
            $options['content'] = json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE);
        }
        $options['header'] = implode("\r\n", $headers);
        $raw = @file_get_contents($this->apiUrl . $path, false, stream_context_create(['http' => $options]));
        if ($raw === false) {
            throw new SemError(0, ['error' => ['code' => 'unreachable',
                'message' => 'No fue posible conectarse con la plataforma de pagos.']]);
        }
        // $http_response_header is filled in by the http wrapper: its first line is the status.
        preg_match('{^HTTP/\S+ (\d{3})}', $http_response_header[0] ?? '', $m);
        $status = (int)($m[1] ?? 0);
        $data = json_decode($raw, true) ?? [];
        if ($status < 200 || $status >= 300) {
            throw new SemError($status, $data);
        }
        return $data;
    }
}

function uuid4(): string
{
    $b = random_bytes(16);
    $b[6] = chr((ord($b[6]) & 0x0f) | 0x40);
    $b[8] = chr((ord($b[8]) & 0x3f) | 0x80);
    return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($b), 4));
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    $sem = new Sem(rtrim(getenv('SEM_API_URL') ?: 'http://127.0.0.1:8000', '/'),
                   getenv('SEM_MUNICIPALITY') ?: '', getenv('SEM_API_KEY') ?: '');
    try {
        $answer = match ($argv[1] ?? '') {
            'quote' => $sem->quote($argv[2], (int)$argv[3]),
            'pay' => $sem->pay([['type' => 'permit', 'plate' => $argv[2], 'year' => (int)$argv[3], 'installment' => 'full']],
                               ['rut' => $argv[4], 'name' => $argv[5], 'email' => $argv[6]], $argv[7],
                               getenv('SEM_IDEMPOTENCY_KEY') ?: uuid4()),
            'status' => $sem->status($argv[2], $argv[3]),
            default => null,
        };
    } catch (SemError $e) {
        fwrite(STDOUT, json_encode($e->body, JSON_UNESCAPED_UNICODE) . "\n");
        fwrite(STDERR, "SEM answered {$e->status}: {$e->getMessage()}\n");
        exit(1);
    }
    if ($answer === null) {
        fwrite(STDERR, "usage: php sem.php quote PLATE YEAR | pay PLATE YEAR RUT NAME EMAIL RETURN_URL | status PAYMENT_ID TOKEN\n");
        exit(2);
    }
    echo json_encode($answer, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
}
