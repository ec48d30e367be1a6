<?php
/*
 * Kubeless PHP runtime: serves function <FUNC_HANDLER>($event, $context) from <MOD_NAME>.php.
 *
 * One master process speaks HTTP (a stream_select loop) and hands each invocation to an idle
 * worker process forked from it; a worker runs one invocation at a time, and the master forks more
 * workers on demand, up to FUNC_CONCURRENCY. A worker that outlives FUNC_TIMEOUT is killed with
 * SIGKILL (PHP cannot stop its own code: max_execution_time counts CPU time only, not sleeps or
 * I/O), its request is answered 408, and the master and the other workers go on serving.
 *
 * Each worker includes the function file itself, at global scope, right after it is forked: the
 * master never runs user code, so a function that crashes or hangs while loading cannot take the
 * server down. Only PHP and its pcntl and posix extensions are needed.
 */

namespace Kubeless\Runtime;

/** The runtime's settings, read once from the environment. */
final class Settings
{
    public readonly string $volume;
    public readonly string $module;
    public readonly string $handler;
    public readonly float $timeout;
    public readonly int $port;
    public readonly int $maxBody;
    public readonly int $workers;
    public readonly int $concurrency;
    public readonly string $runtime;
    public readonly string $memoryLimit;

    public function __construct()
    {
        $this->volume = rtrim(self::env('KUBELESS_INSTALL_VOLUME', '/kubeless'), '/') ?: '/';
        $this->module = self::env('MOD_NAME', '');
        $this->handler = self::env('FUNC_HANDLER', '');
        $this->timeout = (float) self::env('FUNC_TIMEOUT', '180') ?: 180.0;
        $this->port = (int) self::env('FUNC_PORT', '8080') ?: 8080;
        $this->maxBody = (int) ((float) self::env('REQ_MB_LIMIT', '10') * 1024 * 1024);
        $this->concurrency = max(1, (int) self::env('FUNC_CONCURRENCY', '40'));
        $this->workers = min($this->concurrency, max(1, (int) self::env('FUNC_WORKERS', '4')));
        $this->runtime = self::env('FUNC_RUNTIME', '');
        $this->memoryLimit = self::env('FUNC_MEMORY_LIMIT', '');
    }

    public function functionFile(): string
    {
        return $this->volume . '/' . $this->module . '.php';
    }

    public function name(): string
    {
        return $this->module . '.' . $this->handler;
    }

    /** The timeout as the handler sees it in $context: a whole number stays an int. */
    public function timeoutValue(): int|float
    {
        return floor($this->timeout) == $this->timeout ? (int) $this->timeout : $this->timeout;
    }

    private static function env(string $name, string $default): string
    {
        $value = getenv($name);
        return $value === false || $value === '' ? $default : $value;
    }
}

/** Diagnostics go to stderr, with a timestamp; access lines go to stdout. */
function logError(string $message): void
{
    fwrite(STDERR, gmdate('Y-m-d\TH:i:s\Z') . ' ' . $message . "\n");
}

/** Frames between the master and a worker: a 4-byte length, then a serialized PHP value. */
function frame(mixed $message): string
{
    $payload = serialize($message);
    return pack('N', strlen($payload)) . $payload;
}

/** Takes the first complete frame off $buffer; null while it is incomplete. */
function unframe(string &$buffer): ?array
{
    if (strlen($buffer) < 4) {
        return null;
    }
    $size = unpack('N', $buffer)[1];
    if (strlen($buffer) < 4 + $size) {
        return null;
    }
    $message = unserialize(substr($buffer, 4, $size));
    $buffer = substr($buffer, 4 + $size);
    return $message;
}

const TEXT = 'text/plain; charset=utf-8';

// ------------------------------------------------------------------------------ worker side

/** The body of a request, as PSR-7's StreamInterface reads it. */
final class Body implements \Stringable
{
    private int $position = 0;

    public function __construct(private readonly string $bytes)
    {
    }

    public function getContents(): string
    {
        $rest = substr($this->bytes, $this->position);
        $this->position = strlen($this->bytes);
        return $rest;
    }

    public function read(int $length): string
    {
        $chunk = substr($this->bytes, $this->position, $length);
        $this->position += strlen($chunk);
        return $chunk;
    }

    public function eof(): bool
    {
        return $this->position >= strlen($this->bytes);
    }

    public function rewind(): void
    {
        $this->position = 0;
    }

    public function getSize(): int
    {
        return strlen($this->bytes);
    }

    public function __toString(): string
    {
        return $this->bytes;
    }
}

/** The request's URI, as PSR-7's UriInterface reads it. */
final class Uri implements \Stringable
{
    public function __construct(
        private readonly string $host,
        private readonly ?int $port,
        private readonly string $path,
        private readonly string $query,
    ) {
    }

    public function getScheme(): string
    {
        return 'http';
    }

    public function getHost(): string
    {
        return $this->host;
    }

    public function getPort(): ?int
    {
        return $this->port;
    }

    public function getPath(): string
    {
        return $this->path;
    }

    public function getQuery(): string
    {
        return $this->query;
    }

    public function getFragment(): string
    {
        return '';
    }

    public function __toString(): string
    {
        $authority = $this->host . ($this->port === null ? '' : ':' . $this->port);
        return 'http://' . $authority . $this->path . ($this->query === '' ? '' : '?' . $this->query);
    }
}

/**
 * $event->extensions->request: the HTTP request with the reading half of PSR-7's
 * ServerRequestInterface, which Kubeless's Slim request offered.
 */
final class Request
{
    /** @var array<string, string[]> header values by lower-case name */
    private array $values = [];
    /** @var array<string, string> header names as sent, by lower-case name */
    private array $names = [];
    private ?Body $body = null;
    public readonly string $path;
    public readonly string $query;

    /** @param list<array{string, string}> $headers */
    public function __construct(
        private readonly string $method,
        private readonly string $target,
        private readonly string $version,
        array $headers,
        private readonly string $bytes,
        private readonly string $client,
    ) {
        foreach ($headers as [$name, $value]) {
            $key = strtolower($name);
            $this->names[$key] ??= $name;
            $this->values[$key][] = $value;
        }
        $mark = strpos($target, '?');
        $this->path = $mark === false ? $target : substr($target, 0, $mark);
        $this->query = $mark === false ? '' : substr($target, $mark + 1);
    }

    public function getMethod(): string
    {
        return $this->method;
    }

    public function getRequestTarget(): string
    {
        return $this->target;
    }

    public function getProtocolVersion(): string
    {
        return substr($this->version, 5);
    }

    public function getUri(): Uri
    {
        $host = $this->getHeaderLine('host');
        $port = null;
        $colon = strrpos($host, ':');
        if ($colon !== false && ctype_digit(substr($host, $colon + 1))) {
            [$host, $port] = [substr($host, 0, $colon), (int) substr($host, $colon + 1)];
        }
        return new Uri($host, $port, $this->path, $this->query);
    }

    /** @return array<string, string[]> */
    public function getHeaders(): array
    {
        $headers = [];
        foreach ($this->values as $key => $values) {
            $headers[$this->names[$key]] = $values;
        }
        return $headers;
    }

    /** @return array<string, string[]> header values by lower-case name */
    public function headerValues(): array
    {
        return $this->values;
    }

    public function hasHeader(string $name): bool
    {
        return isset($this->values[strtolower($name)]);
    }

    /** @return string[] */
    public function getHeader(string $name): array
    {
        return $this->values[strtolower($name)] ?? [];
    }

    public function getHeaderLine(string $name): string
    {
        return implode(', ', $this->getHeader($name));
    }

    public function getBody(): Body
    {
        return $this->body ??= new Body($this->bytes);
    }

    /** @return array<string, mixed> */
    public function getQueryParams(): array
    {
        if ($this->query === '') {
            return [];
        }
        parse_str($this->query, $params);
        return $params;
    }

    /** The body parsed by its content type: a JSON document as arrays, a form as its fields. */
    public function getParsedBody(): mixed
    {
        $type = mediaType($this->getHeaderLine('content-type'));
        if (isJson($type)) {
            return json_decode($this->bytes, true);
        }
        if ($type === 'application/x-www-form-urlencoded') {
            parse_str($this->bytes, $fields);
            return $fields;
        }
        return null;
    }

    /** @return array<string, mixed> */
    public function getServerParams(): array
    {
        return $_SERVER;
    }

    public function getClientAddress(): string
    {
        return $this->client;
    }
}

function mediaType(string $contentType): string
{
    return strtolower(trim(explode(';', $contentType, 2)[0]));
}

function isJson(string $mediaType): bool
{
    return $mediaType === 'application/json' || str_ends_with($mediaType, '+json');
}

/** A UUID version 4. */
function uuid(): string
{
    $bytes = random_bytes(16);
    $bytes[6] = chr((ord($bytes[6]) & 0x0f) | 0x40);
    $bytes[8] = chr((ord($bytes[8]) & 0x3f) | 0x80);
    return vsprintf('%s%s-%s-%s-%s-%s%s%s', str_split(bin2hex($bytes), 4));
}

/** One worker process: loads the function, then runs the invocations the master sends, one at a time. */
final class Worker
{
    private const LOADING = 0;
    private const IDLE = 1;
    private const RUNNING = 2;

    private int $state = self::LOADING;
    private string $buffer = '';
    /** @var array<string, mixed> $_SERVER as the process started, before any request's values */
    private array $server;

    /** @param resource $channel */
    public function __construct(private readonly Settings $settings, private $channel)
    {
        $this->server = $_SERVER;
        register_shutdown_function([$this, 'onShutdown']);
    }

    /** Why the function cannot be loaded before even reading it; null if it can be tried. */
    public function precheck(): ?string
    {
        $s = $this->settings;
        if ($s->module === '') {
            return 'MOD_NAME is empty';
        }
        if ($s->handler === '') {
            return 'FUNC_HANDLER is empty';
        }
        if (!is_file($s->functionFile())) {
            return "cannot load {$s->name()}: {$s->functionFile()} does not exist";
        }
        // Kubeless ran the function from the volume: relative paths (vendor/autoload.php) resolve there.
        chdir($s->volume);
        return null;
    }

    /** Tells the master whether the function loaded (after the file was included at global scope). */
    public function loaded(?\Throwable $error): bool
    {
        $s = $this->settings;
        if ($error !== null) {
            return $this->fail(sprintf(
                'cannot load %s: %s: %s in %s on line %d',
                $s->name(),
                get_class($error),
                $error->getMessage(),
                $error->getFile(),
                $error->getLine(),
            ));
        }
        if (!function_exists($s->handler)) {
            return $this->fail("cannot load {$s->name()}: {$s->functionFile()} defines no function {$s->handler}");
        }
        $this->state = self::IDLE;
        $this->send(['ready']);
        return true;
    }

    public function fail(string $reason): bool
    {
        $this->state = self::IDLE;
        $this->send(['failed', $reason]);
        return false;
    }

    /** Runs invocations until the master closes the channel. */
    public function serve(): void
    {
        $handler = $this->settings->handler;
        while (($job = $this->receive()) !== null) {
            $this->state = self::RUNNING;
            $reply = $this->invoke($handler, ...$job);
            $this->state = self::IDLE;
            $this->send($reply);
        }
    }

    /** @param list<array{string, string}> $headers */
    private function invoke(
        string $handler,
        string $method,
        string $target,
        string $version,
        array $headers,
        string $body,
        string $client,
    ): array {
        $request = new Request($method, $target, $version, $headers, $body, $client);
        $contentType = $request->getHeaderLine('content-type');
        $data = $body;
        if ($body !== '' && isJson(mediaType($contentType))) {
            try {
                $data = json_decode($body, false, 512, JSON_THROW_ON_ERROR);
            } catch (\JsonException) {
                return [400, TEXT, 'Invalid JSON body'];
            }
        }
        $this->setSuperglobals($request, $contentType);
        $event = (object) [
            'data' => $data,
            'event-id' => $request->getHeaderLine('event-id') ?: uuid(),
            'event-type' => $request->getHeaderLine('event-type') ?: ($contentType ?: 'application/octet-stream'),
            'event-time' => $request->getHeaderLine('event-time') ?: gmdate('Y-m-d\TH:i:s\Z'),
            'event-namespace' => $request->getHeaderLine('event-namespace') ?: 'http.kubeless.io',
            'extensions' => (object) ['request' => $request],
        ];
        $s = $this->settings;
        $context = (object) [
            'function-name' => $s->handler,
            'timeout' => $s->timeoutValue(),
            'runtime' => $s->runtime,
            'memory-limit' => $s->memoryLimit,
        ];
        try {
            return self::encode($handler($event, $context));
        } catch (\Throwable $e) {
            // The error and where it happened; never the request (exception_ignore_args keeps
            // arguments out of the trace).
            logError("Function {$s->name()} failed: " . $e);
            return [500, TEXT, 'Internal Server Error'];
        }
    }

    /** $_GET, $_POST and $_SERVER's request entries, as PHP behind a web server would have them. */
    private function setSuperglobals(Request $request, string $contentType): void
    {
        $server = $this->server;
        $server['REQUEST_METHOD'] = $request->getMethod();
        $server['REQUEST_URI'] = $request->getRequestTarget();
        $server['QUERY_STRING'] = $request->query;
        $server['SERVER_PROTOCOL'] = 'HTTP/' . $request->getProtocolVersion();
        $server['REMOTE_ADDR'] = $request->getClientAddress();
        $server['REQUEST_TIME_FLOAT'] = microtime(true);
        $server['REQUEST_TIME'] = (int) $server['REQUEST_TIME_FLOAT'];
        if ($contentType !== '') {
            $server['CONTENT_TYPE'] = $contentType;
        }
        $server['CONTENT_LENGTH'] = (string) $request->getBody()->getSize();
        foreach ($request->headerValues() as $key => $values) {
            $server['HTTP_' . strtoupper(strtr($key, '-', '_'))] = implode(', ', $values);
        }
        $_SERVER = $server;
        $_GET = $request->getQueryParams();
        $_POST = mediaType($contentType) === 'application/x-www-form-urlencoded' ? $request->getParsedBody() : [];
        $_REQUEST = $_POST + $_GET;
    }

    /** The handler's return value as (status, content type, body). */
    private static function encode(mixed $result): array
    {
        if ($result === null) {
            return [200, TEXT, ''];
        }
        if (is_string($result)) {
            return preg_match('//u', $result) === 1
                ? [200, TEXT, $result]
                : [200, 'application/octet-stream', $result];
        }
        return [
            200,
            'application/json',
            json_encode($result, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
                | JSON_PRESERVE_ZERO_FRACTION),
        ];
    }

    /** A fatal error or exit() while loading or running: the master gets the reason or a 500. */
    public function onShutdown(): void
    {
        $error = error_get_last();
        $fatal = $error !== null && ($error['type'] & (E_ERROR | E_PARSE | E_CORE_ERROR | E_COMPILE_ERROR)) !== 0;
        $why = $fatal ? "{$error['message']} in {$error['file']} on line {$error['line']}" : 'it called exit()';
        if ($this->state === self::LOADING) {
            $this->fail("cannot load {$this->settings->name()}: $why");
        } elseif ($this->state === self::RUNNING) {
            logError("Function {$this->settings->name()} ended its worker process: $why");
            $this->state = self::IDLE;
            // marked as the worker's last answer: the master must not give it another job
            $this->send([500, TEXT, 'Internal Server Error', 'exiting']);
        }
    }

    /** The next job from the master (one read usually holds it all); null once the master is gone. */
    private function receive(): ?array
    {
        while (($message = unframe($this->buffer)) === null) {
            $chunk = fread($this->channel, max(65536, $this->missing()));
            if ($chunk === false || ($chunk === '' && feof($this->channel))) {
                return null;
            }
            $this->buffer .= $chunk;
        }
        return $message;
    }

    /** How many bytes the frame being read still lacks. */
    private function missing(): int
    {
        return strlen($this->buffer) < 4 ? 4 : 4 + unpack('N', $this->buffer)[1] - strlen($this->buffer);
    }

    private function send(array $message): void
    {
        $data = frame($message);
        while ($data !== '') {
            $written = @fwrite($this->channel, $data);
            if ($written === false || $written === 0) {
                exit(0); // the master is gone
            }
            $data = substr($data, $written);
        }
    }
}

/** Thrown in a freshly forked worker to leave the master's loop and run the worker at global scope. */
final class Forked extends \Exception
{
    public function __construct(public readonly Worker $worker)
    {
        parent::__construct('forked');
    }
}

// ------------------------------------------------------------------------------ master side

/** Prometheus counters and histogram, labelled by HTTP method. */
final class Metrics
{
    private const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    private array $calls = [];
    private array $failures = [];
    private array $buckets = [];
    private array $sums = [];

    public function observe(string $method, float $seconds, bool $failed): void
    {
        $this->calls[$method] = ($this->calls[$method] ?? 0) + 1;
        $this->failures[$method] = ($this->failures[$method] ?? 0) + ($failed ? 1 : 0);
        $this->sums[$method] = ($this->sums[$method] ?? 0.0) + $seconds;
        // Counts per bucket here (one bucket or none: over the last bound), cumulated when rendered.
        $this->buckets[$method] ??= array_fill(0, count(self::BUCKETS), 0);
        foreach (self::BUCKETS as $i => $bound) {
            if ($seconds <= $bound) {
                $this->buckets[$method][$i]++;
                break;
            }
        }
    }

    public function render(): string
    {
        $lines = [
            '# HELP function_calls_total Number of calls to user function',
            '# TYPE function_calls_total counter',
        ];
        foreach ($this->calls as $method => $n) {
            $lines[] = "function_calls_total{method=\"$method\"} $n";
        }
        $lines[] = '# HELP function_failures_total Number of exceptions in user function';
        $lines[] = '# TYPE function_failures_total counter';
        foreach ($this->failures as $method => $n) {
            $lines[] = "function_failures_total{method=\"$method\"} $n";
        }
        $lines[] = '# HELP function_duration_seconds Duration of user function in seconds';
        $lines[] = '# TYPE function_duration_seconds histogram';
        foreach ($this->buckets as $method => $counts) {
            $cumulated = 0;
            foreach (self::BUCKETS as $i => $bound) {
                $cumulated += $counts[$i];
                $lines[] = sprintf('function_duration_seconds_bucket{method="%s",le="%s"} %d', $method, self::number($bound), $cumulated);
            }
            $lines[] = "function_duration_seconds_bucket{method=\"$method\",le=\"+Inf\"} {$this->calls[$method]}";
            $lines[] = "function_duration_seconds_sum{method=\"$method\"} " . self::number($this->sums[$method]);
            $lines[] = "function_duration_seconds_count{method=\"$method\"} {$this->calls[$method]}";
        }
        return implode("\n", $lines) . "\n";
    }

    private static function number(float $value): string
    {
        $text = (string) $value;
        return str_contains($text, '.') || str_contains($text, 'E') ? $text : $text . '.0';
    }
}

/** One client connection, and the request on it being read or served. */
final class Connection
{
    /** @var resource */
    public $stream;
    public string $in = '';
    public string $out = '';
    /** The parsed head of the request whose body is being read; null between requests. */
    public ?array $head = null;
    /** Bytes of a too large body still to drop before answering 413. */
    public int $discard = 0;
    /** Chunked body being decoded: the chunks so far. */
    public string $chunked = '';
    /** Whether a request is being served (its answer not written yet): nothing more is parsed. */
    public bool $busy = false;
    public bool $closeAfterWrite = false;
    /** Whether the request being served is HTTP/1.0, whose kept-alive answers must say so. */
    public bool $http10 = false;
    /** The client closed its side: nothing more to read. */
    public bool $eof = false;
    public bool $closed = false;
    /** Guards advance() against re-entry: answering a request may happen while parsing the next. */
    public bool $advancing = false;
    public float $lastActive;

    /** @param resource $stream */
    public function __construct($stream, public readonly string $client)
    {
        $this->stream = $stream;
        $this->lastActive = microtime(true);
    }
}

/** One invocation: from the request being complete to its answer. */
final class Job
{
    public float $deadline = INF;

    public function __construct(
        public readonly Connection $connection,
        public readonly array $message,
        public readonly bool $keepAlive,
        public readonly float $started,
    ) {
    }

    public function method(): string
    {
        return $this->message[0];
    }
}

/** The master's end of a worker process. */
final class WorkerHandle
{
    public const STARTING = 0;
    public const IDLE = 1;
    public const BUSY = 2;
    public const GONE = 3;

    public int $state = self::STARTING;
    public string $in = '';
    public string $out = '';
    public ?Job $job = null;
    public float $since;

    /** @param resource $channel */
    public function __construct(public readonly int $pid, public $channel)
    {
        $this->since = microtime(true);
    }
}

/** The HTTP server and the worker pool. */
final class Master
{
    /** How long an idle keep-alive connection stays open: longer than any client keeps one (the trigger: 15 s). */
    private const IDLE_CONNECTION = 65.0;
    /** How long a worker beyond FUNC_WORKERS may stay idle before it is stopped. */
    private const IDLE_WORKER = 60.0;
    private const MAX_HEAD = 65536;
    /** A body over the limit is read and dropped (up to this much) so that the client sees the 413. */
    private const MAX_DISCARD = 100 * 1024 * 1024;
    private const REASONS = [
        100 => 'Continue', 200 => 'OK', 400 => 'Bad Request', 404 => 'Not Found', 408 => 'Request Timeout',
        413 => 'Payload Too Large', 431 => 'Request Header Fields Too Large', 500 => 'Internal Server Error',
    ];

    /** @var resource */
    private $listener;
    /** @var array<int, Connection> by stream id */
    private array $connections = [];
    /** @var array<int, WorkerHandle> by channel id */
    private array $workers = [];
    /** @var WorkerHandle[] idle workers, the most recently used last */
    private array $idle = [];
    private \SplQueue $waiting;
    /** How many workers are loading the function. */
    private int $starting = 0;
    /** null while the function's loading is unknown, true once loaded, else why it failed. */
    private string|bool|null $loaded = null;
    /** @var Connection[] /healthz requests waiting for the function to load */
    private array $healthWaiters = [];
    private Metrics $metrics;
    private string $accessLog = '';
    private int $logSecond = 0;
    private string $logTime = '';
    private bool $stopping = false;
    private float $lastHousekeeping = 0.0;

    public function __construct(private readonly Settings $settings)
    {
        $this->waiting = new \SplQueue();
        $this->metrics = new Metrics();
    }

    public function run(): void
    {
        $context = stream_context_create(['socket' => ['backlog' => 1024]]);
        $listener = @stream_socket_server(
            "tcp://0.0.0.0:{$this->settings->port}",
            $errno,
            $error,
            STREAM_SERVER_BIND | STREAM_SERVER_LISTEN,
            $context,
        );
        if ($listener === false) {
            logError("Cannot listen on port {$this->settings->port}: $error");
            exit(1);
        }
        stream_set_blocking($listener, false);
        $this->listener = $listener;
        pcntl_async_signals(true);
        foreach ([SIGTERM, SIGINT] as $signal) {
            pcntl_signal($signal, function () {
                $this->stopping = true;
            });
        }
        $s = $this->settings;
        for ($i = 0; $i < $s->workers; $i++) {
            $this->spawn();
        }
        logError(sprintf(
            'Serving %s on port %d: %d to %d worker processes, timeout %ss',
            $s->name(),
            $s->port,
            $s->workers,
            $s->concurrency,
            $s->timeoutValue(),
        ));
        while (!$this->stopping) {
            $this->turn();
        }
        foreach ($this->workers as $worker) {
            $this->kill($worker);
        }
        while (pcntl_waitpid(-1, $status, WNOHANG) > 0) {
        }
    }

    /** One turn of the loop: wait for I/O or the next deadline, then serve what is ready. */
    private function turn(): void
    {
        $read = [$this->listener];
        $write = [];
        foreach ($this->connections as $c) {
            // While a request is served, pipelined data is buffered up to a bound.
            if (!$c->eof && (!$c->busy || strlen($c->in) < self::MAX_HEAD)) {
                $read[] = $c->stream;
            }
            if ($c->out !== '') {
                $write[] = $c->stream;
            }
        }
        $next = $this->lastHousekeeping + 1.0;
        foreach ($this->workers as $w) {
            $read[] = $w->channel;
            if ($w->out !== '') {
                $write[] = $w->channel;
            }
            if ($w->job !== null) {
                $next = min($next, $w->job->deadline);
            }
        }
        $wait = max(0.0, $next - microtime(true));
        $except = null;
        $ready = @stream_select($read, $write, $except, (int) $wait, (int) (($wait - (int) $wait) * 1e6));
        if ($ready === false) {
            return; // interrupted by a signal
        }
        foreach ($write as $stream) {
            $id = (int) $stream;
            if (isset($this->connections[$id])) {
                $this->flush($this->connections[$id]);
            } elseif (isset($this->workers[$id])) {
                $this->flushWorker($this->workers[$id]);
            }
        }
        foreach ($read as $stream) {
            $id = (int) $stream;
            if ($stream === $this->listener) {
                $this->accept();
            } elseif (isset($this->connections[$id])) {
                $this->receive($this->connections[$id]);
            } elseif (isset($this->workers[$id])) {
                $this->receiveFromWorker($this->workers[$id]);
            }
        }
        if (microtime(true) >= $next) {
            $this->expire();
        }
        if ($this->accessLog !== '') {
            fwrite(STDOUT, $this->accessLog);
            $this->accessLog = '';
        }
    }

    private function accept(): void
    {
        for ($i = 0; $i < 64; $i++) {
            $stream = @stream_socket_accept($this->listener, 0, $peer);
            if ($stream === false) {
                return;
            }
            stream_set_blocking($stream, false);
            stream_set_read_buffer($stream, 0);
            $client = preg_replace('/:\d+$/', '', (string) $peer);
            $this->connections[(int) $stream] = new Connection($stream, trim($client, '[]'));
        }
    }

    private function receive(Connection $c): void
    {
        $data = @fread($c->stream, 262144);
        if ($data === false || $data === '') {
            if ($data !== false && !feof($c->stream)) {
                return;
            }
            if ($c->busy && $data !== false) {
                // Half closed: the answer being prepared is still written, then the connection closed.
                $c->eof = true;
                $c->closeAfterWrite = true;
            } else {
                $this->close($c);
            }
            return;
        }
        $c->lastActive = microtime(true);
        if ($c->discard > 0) {
            $c->discard -= strlen($data);
            if ($c->discard <= 0) {
                $this->respond($c, 413, TEXT, 'Request body too large', false);
            }
            return;
        }
        $c->in .= $data;
        $this->advance($c);
    }

    /** Parses and serves the complete requests buffered on a connection, one at a time. */
    private function advance(Connection $c): void
    {
        if ($c->advancing) {
            return;
        }
        $c->advancing = true;
        try {
            $this->parseRequests($c);
        } finally {
            $c->advancing = false;
        }
    }

    private function parseRequests(Connection $c): void
    {
        while (!$c->busy && !$c->closed && !$c->closeAfterWrite && $c->discard <= 0) {
            if ($c->head === null) {
                $c->in = ltrim($c->in, "\r\n");
                $end = strpos($c->in, "\r\n\r\n");
                if ($end === false) {
                    if (strlen($c->in) > self::MAX_HEAD) {
                        $this->respond($c, 431, TEXT, 'Request header too large', false);
                    }
                    return;
                }
                $head = $this->parseHead(substr($c->in, 0, $end));
                $c->in = substr($c->in, $end + 4);
                $c->http10 = $head !== null && $head['version'] === 'HTTP/1.0';
                if ($head === null) {
                    $this->respond($c, 400, TEXT, 'Bad Request', false);
                    return;
                }
                if (!$this->startBody($c, $head)) {
                    return;
                }
            }
            $body = $c->head['chunked'] ? $this->readChunked($c) : $this->readLength($c);
            if ($body === null) {
                return;
            }
            $head = $c->head;
            $c->head = null;
            $this->serve($c, $head, $body);
        }
    }

    /**
     * The request line and headers: method, target, version, headers (name and value pairs, in
     * order), lookup (values by lower-case name) and keepAlive; null when malformed.
     */
    private function parseHead(string $text): ?array
    {
        $lines = explode("\r\n", $text);
        $parts = explode(' ', array_shift($lines));
        if (count($parts) !== 3 || !str_starts_with($parts[2], 'HTTP/1.')) {
            return null;
        }
        $headers = [];
        $lookup = [];
        foreach ($lines as $line) {
            $colon = strpos($line, ':');
            if ($colon === false) {
                return null;
            }
            $name = trim(substr($line, 0, $colon));
            $value = trim(substr($line, $colon + 1));
            $headers[] = [$name, $value];
            $key = strtolower($name);
            $lookup[$key] = isset($lookup[$key]) ? $lookup[$key] . ', ' . $value : $value;
        }
        $connection = strtolower($lookup['connection'] ?? '');
        return [
            'method' => $parts[0],
            'target' => $parts[1],
            'version' => $parts[2],
            'headers' => $headers,
            'lookup' => $lookup,
            'keepAlive' => $parts[2] === 'HTTP/1.1' ? !str_contains($connection, 'close') : str_contains($connection, 'keep-alive'),
        ];
    }

    /** Decides how the body is read; false when the request was already answered (413). */
    private function startBody(Connection $c, array $head): bool
    {
        $lookup = $head['lookup'];
        $head['chunked'] = str_contains(strtolower($lookup['transfer-encoding'] ?? ''), 'chunked');
        $declared = $lookup['content-length'] ?? '0';
        if (!$head['chunked'] && !ctype_digit($declared)) {
            $this->respond($c, 400, TEXT, 'Bad Request', false);
            return false;
        }
        $length = $head['chunked'] ? 0 : (int) $declared;
        $head['length'] = $length;
        $continue = strtolower($lookup['expect'] ?? '') === '100-continue';
        if ($length > $this->settings->maxBody) {
            $this->logAccess($c->client, $head['method'], $head['target'], $head['version'], 413, 22, 0.0);
            // Without "Expect: 100-continue" the client sends the body anyway: drop it, then answer,
            // so that the client reads the 413 instead of a reset connection.
            $pending = $length - strlen($c->in);
            $c->in = '';
            if ($continue || $pending <= 0 || $length > self::MAX_DISCARD) {
                $this->respond($c, 413, TEXT, 'Request body too large', false);
            } else {
                $c->discard = $pending;
            }
            return false;
        }
        if ($continue && ($length > 0 || $head['chunked'])) {
            $c->out .= "HTTP/1.1 100 Continue\r\n\r\n";
            $this->flush($c);
        }
        $c->head = $head;
        $c->chunked = '';
        return true;
    }

    private function readLength(Connection $c): ?string
    {
        $length = $c->head['length'];
        if (strlen($c->in) < $length) {
            return null;
        }
        $body = substr($c->in, 0, $length);
        $c->in = (string) substr($c->in, $length);
        return $body;
    }

    /** Decodes the chunks buffered so far; the body once the last chunk arrived, else null. */
    private function readChunked(Connection $c): ?string
    {
        while (true) {
            $eol = strpos($c->in, "\r\n");
            if ($eol === false) {
                return null;
            }
            $digits = trim(explode(';', substr($c->in, 0, $eol), 2)[0]);
            if (!ctype_xdigit($digits) || strlen($digits) > 8) {
                $c->head = null;
                $this->respond($c, 400, TEXT, 'Bad Request', false);
                return null;
            }
            $size = hexdec($digits);
            if ($size === 0) {
                $end = strpos($c->in, "\r\n\r\n", $eol);
                if ($end === false) {
                    return null; // trailers not complete yet
                }
                $c->in = substr($c->in, $end + 4);
                $body = $c->chunked;
                $c->chunked = '';
                return $body;
            }
            if (strlen($c->chunked) + $size > $this->settings->maxBody) {
                $head = $c->head;
                $c->head = null;
                $this->logAccess($c->client, $head['method'], $head['target'], $head['version'], 413, 22, 0.0);
                $this->respond($c, 413, TEXT, 'Request body too large', false);
                return null;
            }
            if (strlen($c->in) < $eol + 2 + $size + 2) {
                return null;
            }
            $c->chunked .= substr($c->in, $eol + 2, (int) $size);
            $c->in = substr($c->in, $eol + 2 + (int) $size + 2);
        }
    }

    private function serve(Connection $c, array $head, string $body): void
    {
        $method = $head['method'];
        $path = explode('?', $head['target'], 2)[0];
        if ($method === 'GET' && $path === '/healthz') {
            if ($this->loaded === null) {
                $c->busy = true;
                $this->healthWaiters[] = [$c, $head['keepAlive']];
            } else {
                $this->answerHealth($c, $head['keepAlive']);
            }
            return;
        }
        if ($method === 'GET' && $path === '/metrics') {
            $this->respond($c, 200, 'text/plain; version=0.0.4; charset=utf-8', $this->metrics->render(), $head['keepAlive']);
            return;
        }
        $c->busy = true;
        $job = new Job(
            $c,
            [$method, $head['target'], $head['version'], $head['headers'], $body, $c->client],
            $head['keepAlive'],
            microtime(true),
        );
        if (is_string($this->loaded)) {
            logError("Function not loaded: {$this->loaded}");
            $this->finish($job, 500, TEXT, 'Internal Server Error');
            return;
        }
        $this->waiting->enqueue($job);
        $this->dispatch();
    }

    private function answerHealth(Connection $c, bool $keepAlive): void
    {
        $c->busy = false;
        if ($this->loaded === true) {
            $this->respond($c, 200, TEXT, 'OK', $keepAlive);
        } else {
            $this->respond($c, 500, TEXT, $this->loaded . "\n", $keepAlive);
        }
        $this->advance($c);
    }

    /** Hands waiting jobs to idle workers, and forks workers for the jobs left waiting. */
    private function dispatch(): void
    {
        while (!$this->waiting->isEmpty() && $this->idle) {
            $job = $this->waiting->dequeue();
            if ($job->connection->closed) {
                continue; // the client went away while it waited
            }
            $worker = array_pop($this->idle);
            $worker->state = WorkerHandle::BUSY;
            $worker->job = $job;
            $job->deadline = microtime(true) + $this->settings->timeout;
            $worker->out .= frame($job->message);
            $this->flushWorker($worker);
        }
        if ($this->loaded !== null && $this->loaded !== true) {
            return;
        }
        $wanted = max(count($this->waiting) - $this->starting, $this->settings->workers - count($this->workers));
        for ($i = 0; $i < $wanted && count($this->workers) < $this->settings->concurrency; $i++) {
            $this->spawn();
        }
    }

    private function spawn(): void
    {
        $pair = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        $pid = pcntl_fork();
        if ($pid === -1) {
            logError('Cannot fork a worker process: ' . pcntl_strerror(pcntl_get_last_error()));
            fclose($pair[0]);
            fclose($pair[1]);
            return;
        }
        if ($pid === 0) {
            // The worker keeps none of the master's sockets, nor its signal handlers.
            fclose($pair[0]);
            fclose($this->listener);
            foreach ($this->connections as $c) {
                fclose($c->stream);
            }
            foreach ($this->workers as $w) {
                fclose($w->channel);
            }
            $this->connections = $this->workers = $this->idle = $this->healthWaiters = [];
            foreach ([SIGTERM, SIGINT] as $signal) {
                pcntl_signal($signal, SIG_DFL);
            }
            pcntl_async_signals(false);
            @cli_set_process_title("kubeless php worker {$this->settings->name()}");
            stream_set_read_buffer($pair[1], 0);
            throw new Forked(new Worker($this->settings, $pair[1]));
        }
        fclose($pair[1]);
        stream_set_blocking($pair[0], false);
        stream_set_read_buffer($pair[0], 0);
        $worker = new WorkerHandle($pid, $pair[0]);
        $this->starting++;
        $this->workers[(int) $pair[0]] = $worker;
    }

    private function receiveFromWorker(WorkerHandle $w): void
    {
        $data = @fread($w->channel, 1 << 20);
        if ($data === false || $data === '') {
            if ($data === false || feof($w->channel)) {
                $this->workerGone($w);
            }
            return;
        }
        $w->in .= $data;
        while (isset($this->workers[(int) $w->channel]) && ($message = unframe($w->in)) !== null) {
            $this->fromWorker($w, $message);
        }
    }

    private function fromWorker(WorkerHandle $w, array $message): void
    {
        if ($w->state === WorkerHandle::STARTING) {
            if ($message[0] === 'ready') {
                $this->setLoaded(true);
                $this->makeIdle($w);
            } else {
                $this->setLoaded($message[1]);
                $this->retire($w);
            }
            return;
        }
        $job = $w->job;
        if ($job === null) {
            return;
        }
        $w->job = null;
        if (($message[3] ?? null) === 'exiting') {
            // the function ended the process (exit()): a fresh worker takes the next job
            $this->retire($w);
        } else {
            $this->makeIdle($w);
        }
        $this->finish($job, ...array_slice($message, 0, 3));
    }

    private function makeIdle(WorkerHandle $w): void
    {
        if ($w->state === WorkerHandle::STARTING) {
            $this->starting--;
        }
        $w->state = WorkerHandle::IDLE;
        $w->since = microtime(true);
        $this->idle[] = $w;
        $this->dispatch();
    }

    /** Records whether the function loaded, the first time it is known, and answers who waited for it. */
    private function setLoaded(string|bool $loaded): void
    {
        if ($this->loaded !== null) {
            if ($loaded !== true && $loaded !== $this->loaded) {
                logError($loaded);
            }
            return;
        }
        $this->loaded = $loaded;
        if ($loaded !== true) {
            logError($loaded);
            while (!$this->waiting->isEmpty()) {
                $this->finish($this->waiting->dequeue(), 500, TEXT, 'Internal Server Error');
            }
        }
        $waiters = $this->healthWaiters;
        $this->healthWaiters = [];
        foreach ($waiters as [$c, $keepAlive]) {
            if (!$c->closed) {
                $this->answerHealth($c, $keepAlive);
            }
        }
    }

    /** A worker's channel closed without the master stopping it: it exited or crashed. */
    private function workerGone(WorkerHandle $w): void
    {
        $s = $this->settings;
        if ($w->state === WorkerHandle::STARTING) {
            $this->setLoaded("cannot load {$s->name()}: its worker process exited while loading it (see the log)");
        } elseif ($w->job !== null) {
            logError("Worker {$w->pid} exited while running {$s->name()}");
            $job = $w->job;
            $w->job = null;
            $this->finish($job, 500, TEXT, 'Internal Server Error');
        }
        $this->retire($w);
    }

    /** Stops a worker (SIGKILL), forgets it, and forks replacements as needed. */
    private function retire(WorkerHandle $w): void
    {
        if ($w->state === WorkerHandle::STARTING) {
            $this->starting--;
        }
        $w->state = WorkerHandle::GONE;
        $this->kill($w);
        unset($this->workers[(int) $w->channel]);
        $this->idle = array_values(array_filter($this->idle, fn ($idle) => $idle !== $w));
        fclose($w->channel);
        while (pcntl_waitpid(-1, $status, WNOHANG) > 0) {
        }
        $this->dispatch();
    }

    private function kill(WorkerHandle $w): void
    {
        @posix_kill($w->pid, SIGKILL);
    }

    /** Times out runaway invocations and stuck workers; closes idle connections; stops idle workers. */
    private function expire(): void
    {
        $now = microtime(true);
        $s = $this->settings;
        foreach ($this->workers as $w) {
            if ($w->job !== null && $now >= $w->job->deadline) {
                logError(sprintf('Function %s timed out after %ss; killing its worker %d', $s->name(), $s->timeoutValue(), $w->pid));
                $job = $w->job;
                $w->job = null;
                $this->finish($job, 408, TEXT, 'Timeout while processing the function');
                $this->retire($w);
            } elseif ($w->state === WorkerHandle::STARTING && $now - $w->since > $s->timeout) {
                logError("Worker {$w->pid} did not load {$s->name()} within {$s->timeoutValue()}s; killing it");
                $this->setLoaded("cannot load {$s->name()}: loading it took longer than FUNC_TIMEOUT ({$s->timeoutValue()}s)");
                $this->retire($w);
            }
        }
        if ($now - $this->lastHousekeeping < 1.0) {
            return;
        }
        $this->lastHousekeeping = $now;
        while (pcntl_waitpid(-1, $status, WNOHANG) > 0) {
        }
        foreach ($this->connections as $c) {
            if (!$c->busy && $c->out === '' && $now - $c->lastActive > self::IDLE_CONNECTION) {
                $this->close($c);
            }
        }
        // The least recently used idle workers come first in $idle.
        foreach ($this->idle as $w) {
            if (count($this->workers) > $s->workers && $now - $w->since > self::IDLE_WORKER) {
                $this->retire($w);
            }
        }
    }

    /** Answers an invocation, counts it and logs its access line. */
    private function finish(Job $job, int $status, string $contentType, string $body): void
    {
        $seconds = microtime(true) - $job->started;
        [$method, $target, $version] = $job->message;
        $this->metrics->observe($method, $seconds, $status === 408 || $status === 500);
        $c = $job->connection;
        $this->logAccess($c->client, $method, $target, $version, $status, strlen($body), $seconds);
        if ($c->closed) {
            return;
        }
        $c->busy = false;
        $this->respond($c, $status, $contentType, $body, $job->keepAlive);
        $this->advance($c);
    }

    private function logAccess(string $client, string $method, string $target, string $version, int $status, int $bytes, float $seconds): void
    {
        $this->accessLog .= sprintf(
            "%s - - [%s] \"%s %s %s\" %d %d %.4f\n",
            $client,
            $this->logTime(),
            $method,
            $target,
            $version,
            $status,
            $bytes,
            $seconds,
        );
    }

    private function logTime(): string
    {
        $now = time();
        if ($now !== $this->logSecond) {
            $this->logSecond = $now;
            $this->logTime = date('d/M/Y:H:i:s O', $now);
        }
        return $this->logTime;
    }

    private function respond(Connection $c, int $status, string $contentType, string $body, bool $keepAlive): void
    {
        $reason = self::REASONS[$status] ?? 'Unknown';
        $c->out .= "HTTP/1.1 $status $reason\r\nContent-Type: $contentType\r\nContent-Length: " . strlen($body)
            . ($keepAlive ? ($c->http10 ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\n\r\n") : "\r\nConnection: close\r\n\r\n")
            . $body;
        if (!$keepAlive) {
            $c->closeAfterWrite = true;
        }
        $c->lastActive = microtime(true);
        $this->flush($c);
    }

    private function flush(Connection $c): void
    {
        if ($c->closed) {
            return;
        }
        if ($c->out !== '') {
            $written = @fwrite($c->stream, $c->out);
            if ($written === false) {
                $this->close($c);
                return;
            }
            $c->out = (string) substr($c->out, $written);
        }
        if ($c->out === '' && $c->closeAfterWrite && !$c->busy) {
            $this->close($c);
        }
    }

    private function flushWorker(WorkerHandle $w): void
    {
        $written = @fwrite($w->channel, $w->out);
        if ($written === false) {
            $this->workerGone($w);
            return;
        }
        $w->out = (string) substr($w->out, $written);
    }

    private function close(Connection $c): void
    {
        if ($c->closed) {
            return;
        }
        $c->closed = true;
        unset($this->connections[(int) $c->stream]);
        fclose($c->stream);
    }
}

// ------------------------------------------------------------------------------ main

foreach (['pcntl', 'posix'] as $extension) {
    if (!extension_loaded($extension)) {
        logError("The Kubeless PHP runtime needs PHP's $extension extension (" . PHP_BINARY . ' has none)');
        exit(1);
    }
}
// Warnings and errors of the function go to the log once; stack traces never show arguments.
ini_set('display_errors', 'stderr');
ini_set('log_errors', '0');
ini_set('zend.exception_ignore_args', '1');
ini_set('max_execution_time', '0');
error_reporting(E_ALL);

$__kubeless = new Master(new Settings());
try {
    $__kubeless->run();
    exit(0);
} catch (Forked $forked) {
    $__kubeless = $forked->worker;
}
unset($forked);
// In a worker: the function file is included here, at global scope, as PHP runs a script, so that
// its top-level variables are globals.
$__kubelessError = $__kubeless->precheck();
if ($__kubelessError !== null) {
    $__kubeless->fail($__kubelessError);
    exit(0);
}
try {
    require (new Settings())->functionFile();
    $__kubelessError = null;
} catch (\Throwable $__kubelessError) {
}
if (!$__kubeless->loaded($__kubelessError)) {
    exit(0);
}
unset($__kubelessError);
$__kubeless->serve();
exit(0);
