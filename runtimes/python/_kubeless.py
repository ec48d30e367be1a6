"""Kubeless Python runtime: serves handler(event, context) from MOD_NAME over HTTP.

One asyncio process (the server) speaks HTTP and keeps a pool of pre-forked worker
processes that run the handler, many invocations per worker at once: an async handler's
on the worker's event loop, a plain handler's in its thread pool. When an invocation
outlives FUNC_TIMEOUT (counted from its handler's start) its worker is killed with SIGKILL
(that stops any Python or C code it runs) and a fresh worker is forked in its place, while
the server and the other workers keep serving. The user module is imported once in the
server before forking, so a worker starts in a millisecond and shares the module's memory
copy-on-write.

Besides the standard library it needs bottle (pinned in runtime-requirements.txt, installed
by ./setup into KUBELESS_PYTHON_LIB): like Kubeless, a handler gets a bottle request as
event['extensions']['request'], and its return value is sent as bottle sent it (see the
README's table).
"""

import asyncio
import codecs
import collections
import concurrent.futures
import datetime
import http
import importlib
import inspect
import io
import json
import os
import pickle
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

SERVER_MODULE = os.path.splitext(os.path.basename(__file__))[0]
HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.environ.get("KUBELESS_PYTHON_LIB") or os.path.join(HERE, "lib")
sys.path.insert(1, LIB)
try:
    import bottle
except ImportError:
    sys.exit(f"The Python runtime needs bottle in {LIB}: run {os.path.join(HERE, 'setup')} "
             f"(the image and the Maven build do; {os.path.join(HERE, 'run')} does on first start)")

VOLUME = os.environ.get("KUBELESS_INSTALL_VOLUME", "/kubeless")
# Where the install step puts requirements.txt packages (pip install --target).
PACKAGES = os.path.join(VOLUME, ".python_packages")
MOD_NAME = os.environ.get("MOD_NAME", "")
FUNC_HANDLER = os.environ.get("FUNC_HANDLER", "")
TIMEOUT = float(os.environ.get("FUNC_TIMEOUT") or 180)
PORT = int(os.environ.get("FUNC_PORT") or 8080)
WORKERS = int(os.environ.get("FUNC_WORKERS") or 4)
# Invocations one worker runs at once (threads for a plain function, tasks for an async one);
# the default is set once the handler is known: 10 (Kubeless's) or 100.
CONCURRENCY = int(os.environ.get("FUNC_CONCURRENCY") or 0)
# A body over the limit is read and dropped (up to this much) so the client sees the 413.
MAX_DISCARD = 100 * 1024 * 1024
# Bodies are read and handed to a worker in pieces of at most this size, never joined on the way.
PIECE = 1 << 20


def body_limit():
    """The largest request body: REQ_MB_LIMIT (MiB) and FUNC_MEMFILE_MAX (bytes, Kubeless's
    Python name), the smaller if both are set; else Kubeless's 100 MiB."""
    limits = []
    if os.environ.get("REQ_MB_LIMIT"):
        limits.append(int(float(os.environ["REQ_MB_LIMIT"]) * 1024 * 1024))
    if os.environ.get("FUNC_MEMFILE_MAX"):
        limits.append(int(os.environ["FUNC_MEMFILE_MAX"]))
    return min(limits) if limits else 100 * 1024 * 1024


MAX_BODY = body_limit()
# bottle reads a body of up to MEMFILE_MAX for request.json and request.forms (Kubeless set it
# from FUNC_MEMFILE_MAX): every body this server accepts.
bottle.BaseRequest.MEMFILE_MAX = MAX_BODY

CONTEXT = {
    "function-name": FUNC_HANDLER,
    "timeout": TIMEOUT,
    "runtime": os.environ.get("FUNC_RUNTIME", ""),
    "memory-limit": os.environ.get("FUNC_MEMORY_LIMIT", ""),
}

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
BINARY = "application/octet-stream"
FRAME = struct.Struct(">I")
START = "start"  # a worker's frame saying that an invocation's handler starts now
# A worker that has not started a job this long after receiving it gets new jobs last.
STALL = 0.1
# Response headers the server writes itself.
HOP_BY_HOP = {"content-length", "connection", "keep-alive", "transfer-encoding"}


def log(message):
    print(f"{datetime.datetime.now(datetime.timezone.utc).isoformat()} {message}",
          file=sys.stderr, flush=True)


def reply(status, content_type, body=b""):
    """A reply of the runtime itself: (status line, headers, body pieces)."""
    return f"{status} {http.HTTPStatus(status).phrase}", [("Content-Type", content_type)], [body]


def load_handler():
    """Imports the user's handler; returns (handler, None) or (None, why it failed)."""
    what = f"cannot load {MOD_NAME}.{FUNC_HANDLER}"
    if MOD_NAME == SERVER_MODULE:
        return None, f"{what}: the module cannot be named {SERVER_MODULE}"
    # Like PYTHONPATH: the function and its packages win over site-packages, not over the stdlib
    # modules this server already imported.
    sys.path[1:1] = [VOLUME, PACKAGES]
    try:
        module = importlib.import_module(MOD_NAME)
    except SyntaxError as e:
        return None, f"{what}: SyntaxError in {e.filename} line {e.lineno}: {e.msg}"
    except Exception as e:  # noqa: BLE001 - any import failure is the user's to fix
        return None, f"{what}: {type(e).__name__}: {e}"
    handler = getattr(module, FUNC_HANDLER, None)
    if not callable(handler):
        return None, f"{what}: module {MOD_NAME} has no function {FUNC_HANDLER}"
    return handler, None


# ---------------------------------------------------------------- worker side

# Renders bottle's error page for an HTTPError a handler returns or raises.
ERROR_PAGES = bottle.Bottle()


def environ_of(method, target, version, headers, peer, local, body):
    """The WSGI environ of a request, as Kubeless's WSGI server (CherryPy) gave it to bottle."""
    if not target.startswith("/"):  # absolute form: http://host/path?query
        parts = urllib.parse.urlsplit(target)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    path, _, query = target.partition("?")
    stream = io.BytesIO(body)  # shares the bytes, no copy
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": urllib.parse.unquote(path),
        "QUERY_STRING": query,
        "SERVER_NAME": local[0],
        "SERVER_PORT": str(local[1]),
        "SERVER_PROTOCOL": version,
        "REMOTE_ADDR": peer[0],
        "REMOTE_PORT": str(peer[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        # bottle keeps the body it read here: it is read already (and de-chunked).
        "bottle.request.body": stream,
    }
    framed = False
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ[key] = value
        elif key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            framed = True
        else:
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    if framed or body:  # the body as read: a chunked one has a length now
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def is_json(content_type):
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json")


def event_of(meta, body):
    """(event, environ, None) of one invocation; or (None, None, reply) for an invalid body."""
    environ = environ_of(*meta, body)
    content_type = environ.get("CONTENT_TYPE", "")
    if is_json(content_type):
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return None, None, reply(400, TEXT, b"Invalid JSON body")
    else:
        data = body  # bytes, as Kubeless's req.body.read()
    event = {
        "data": data,
        "event-id": environ.get("HTTP_EVENT_ID") or str(uuid.uuid4()),
        "event-type": environ.get("HTTP_EVENT_TYPE") or content_type or BINARY,
        "event-time": environ.get("HTTP_EVENT_TIME")
        or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "event-namespace": environ.get("HTTP_EVENT_NAMESPACE") or "http.kubeless.io",
        "extensions": {"request": bottle.BaseRequest(environ)},
    }
    return event, environ, None


def sniff(body):
    """Bytes that are UTF-8 text go out as text (an echoed text body stays text)."""
    if body.isascii():
        return TEXT
    # Piece by piece: decoding a large body at once would allocate its size again, and more.
    decoder, view = codecs.getincrementaldecoder("utf-8")(), memoryview(body)
    try:
        for start in range(0, len(view), PIECE):
            decoder.decode(view[start:start + PIECE])
        decoder.decode(b"", final=True)
        return TEXT
    except UnicodeDecodeError:
        return BINARY


def cast(result):
    """(content type, body bytes) of a return value; the README's table says why each."""
    if result is None:
        return TEXT, b""
    if isinstance(result, str):
        return TEXT, result.encode("utf-8")
    if isinstance(result, (bytes, bytearray, memoryview)):
        body = bytes(result)
        return sniff(body), body
    if isinstance(result, dict):
        return JSON, json.dumps(result).encode("utf-8")
    if isinstance(result, (list, tuple)):
        if not result:
            return TEXT, b""
        if isinstance(result[0], (str, bytes)):  # bottle joins a list of strings
            return cast(result[0][0:0].join(result))
        return JSON, json.dumps(result).encode("utf-8")
    if isinstance(result, (bool, int, float)):
        return JSON, json.dumps(result).encode("utf-8")
    if hasattr(result, "read"):  # a file-like object: bottle sent its content
        try:
            content = result.read()
        finally:
            if hasattr(result, "close"):
                result.close()
        if not isinstance(content, (str, bytes)):
            raise TypeError(f"read() of the returned {type(result).__name__} gave "
                            f"{type(content).__name__}, not str or bytes")
        return cast(content)
    if hasattr(result, "__iter__"):  # a generator or iterator of strings: bottle streamed it
        pieces = [piece for piece in result if piece]
        if not pieces:
            return TEXT, b""
        if isinstance(pieces[0], (str, bytes)):
            return cast(pieces[0][0:0].join(pieces))
        raise TypeError(f"a returned {type(result).__name__} yielded "
                        f"{type(pieces[0]).__name__}, not str or bytes")
    return JSON, json.dumps(result).encode("utf-8")  # TypeError for anything else


def render(result, environ):
    """The reply to a handler's return value: (status line, headers, body pieces)."""
    if not isinstance(result, bottle.HTTPResponse):
        content_type, body = cast(result)
        return "200 OK", [("Content-Type", content_type)], [body]
    # A bottle HTTPResponse or HTTPError, returned or raised (bottle.abort): its status and headers.
    own_type = "Content-Type" in result
    if isinstance(result, bottle.HTTPError):
        bottle.request.bind(environ)  # the error page names the request's URL
        body = ERROR_PAGES.default_error_handler(result)
        own_type = True  # bottle's page is HTML: text/html; charset=UTF-8
    elif isinstance(result.body, dict):  # as bottle's JSON plugin did
        result.content_type = JSON
        body = result.body
    else:
        body = result.body
    content_type, payload = cast(body)
    headers = [(name, value) for name, value in result.headerlist
               if name.lower() not in HOP_BY_HOP and (own_type or name != "Content-Type")]
    if not own_type and result.status_code not in (204, 304):  # bodiless: bottle drops it too
        headers.append(("Content-Type", content_type))
    return result.status_line, headers, [payload]


def failed(what="failed"):
    # The traceback names the error and where it happened; the request body is never logged.
    log(f"Function {MOD_NAME}.{FUNC_HANDLER} {what}:\n{traceback.format_exc()}")
    return reply(500, TEXT, b"Internal Server Error")


def answer(result, environ):
    try:
        return render(result, environ)
    except Exception:  # noqa: BLE001 - a value that cannot be sent is the handler's failure
        return failed("returned a value that cannot be sent")


def invoke(handler, meta, body):
    """Runs one invocation of a plain function; returns its reply."""
    event, environ, invalid = event_of(meta, body)
    if invalid:
        return invalid
    try:
        result = handler(event, CONTEXT)
        if inspect.isawaitable(result):  # a plain function that returned a coroutine
            result = asyncio.run(result)
    except bottle.HTTPResponse as response:  # bottle.abort(...): Kubeless sent it as returned
        result = response
    except Exception:  # noqa: BLE001 - the handler's failure becomes a 500
        return failed()
    return answer(result, environ)


async def invoke_async(handler, meta, body):
    """Runs one invocation of a coroutine function; returns its reply."""
    event, environ, invalid = event_of(meta, body)
    if invalid:
        return invalid
    try:
        result = await handler(event, CONTEXT)
    except bottle.HTTPResponse as response:
        result = response
    except Exception:  # noqa: BLE001 - the handler's failure becomes a 500
        return failed()
    return answer(result, environ)


def worker_main(sock, handler):
    """A worker's whole life: read request frames and run each invocation concurrently.

    A coroutine function runs on one event loop thread (many at once); a plain function runs in
    a pool of CONCURRENCY threads (the server never sends more at once). Each invocation reports
    START just before its handler runs, so the server times the handler, not the wait for it.

    A frame is the length of a pickled (invocation, what, body length), that pickle, then the
    body's bytes as they are (a large body is never pickled nor joined).
    """
    lock = threading.Lock()
    stream = sock.makefile("rb")

    def send(invocation, what, body=b""):
        meta = pickle.dumps((invocation, what, len(body)))
        head = FRAME.pack(len(meta)) + meta
        with lock:
            if len(body) <= PIECE:  # one write: the server reads it in one go
                sock.sendall(head + body)
            else:
                sock.sendall(head)
                sock.sendall(body)

    def send_reply(invocation, result):
        status_line, headers, (body,) = result
        send(invocation, (status_line, headers), body)

    def run_sync(invocation, meta, body):
        send(invocation, START)
        try:
            result = invoke(handler, meta, body)
        except BaseException:  # noqa: BLE001 - e.g. sys.exit() in the handler; answer anyway
            result = failed()
        send_reply(invocation, result)

    async def run_async(invocation, meta, body):
        send(invocation, START)
        try:
            result = await invoke_async(handler, meta, body)
        except BaseException:  # noqa: BLE001 - e.g. sys.exit() in the handler; answer anyway
            result = failed()
        send_reply(invocation, result)

    if inspect.iscoroutinefunction(handler):
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()

        def submit(invocation, meta, body):
            asyncio.run_coroutine_threadsafe(run_async(invocation, meta, body), loop)
    else:
        threads = concurrent.futures.ThreadPoolExecutor(CONCURRENCY, "invocation")

        def submit(invocation, meta, body):
            threads.submit(run_sync, invocation, meta, body)

    while True:
        header = stream.read(FRAME.size)
        if len(header) < FRAME.size:
            os._exit(0)  # the server is gone
        invocation, meta, length = pickle.loads(stream.read(FRAME.unpack(header)[0]))
        body = stream.read(length) if length else b""  # one allocation, however large
        submit(invocation, meta, body)


# ---------------------------------------------------------------- server side


class Metrics:
    """Prometheus counters and histogram, labelled by HTTP method."""

    BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

    def __init__(self):
        self.calls, self.failures, self.durations = {}, {}, {}

    def observe(self, method, seconds, failed):
        self.calls[method] = self.calls.get(method, 0) + 1
        self.failures[method] = self.failures.get(method, 0) + (1 if failed else 0)
        histogram = self.durations.setdefault(method, [[0] * len(self.BUCKETS), 0.0, 0])
        for i, bound in enumerate(self.BUCKETS):
            if seconds <= bound:
                histogram[0][i] += 1
        histogram[1] += seconds
        histogram[2] += 1

    def render(self):
        lines = ["# HELP function_calls_total Number of calls to user function",
                 "# TYPE function_calls_total counter"]
        lines += [f'function_calls_total{{method="{m}"}} {n}' for m, n in self.calls.items()]
        lines += ["# HELP function_failures_total Number of exceptions in user function",
                  "# TYPE function_failures_total counter"]
        lines += [f'function_failures_total{{method="{m}"}} {n}' for m, n in self.failures.items()]
        lines += ["# HELP function_duration_seconds Duration of user function in seconds",
                  "# TYPE function_duration_seconds histogram"]
        for m, (buckets, total, count) in self.durations.items():
            for bound, n in zip(self.BUCKETS, buckets):
                lines.append(f'function_duration_seconds_bucket{{method="{m}",le="{bound}"}} {n}')
            lines.append(f'function_duration_seconds_bucket{{method="{m}",le="+Inf"}} {count}')
            lines.append(f'function_duration_seconds_sum{{method="{m}"}} {total}')
            lines.append(f'function_duration_seconds_count{{method="{m}"}} {count}')
        return ("\n".join(lines) + "\n").encode()


class Worker:
    """The server's end of one worker process and the invocations it holds."""

    def __init__(self, pid, sock):
        self.pid, self.sock = pid, sock
        self.reader = self.writer = None
        self.jobs = {}  # invocation id -> Job
        # When it was given each job it has not started yet, oldest first.
        self.unstarted = collections.deque()
        self.killed = False

    async def connect(self):
        self.reader, self.writer = await asyncio.open_unix_connection(sock=self.sock)

    def send(self, invocation, message):
        meta, pieces = message
        length = sum(map(len, pieces))
        frame = pickle.dumps((invocation, meta, length))
        if length <= PIECE:  # one write for a small request
            self.writer.write(b"".join([FRAME.pack(len(frame)), frame, *pieces]))
        else:
            self.writer.write(FRAME.pack(len(frame)) + frame)
            for piece in pieces:
                self.writer.write(piece)
        pieces.clear()  # the transport holds them until sent; nothing else here may

    async def receive(self):
        """The next (invocation id, START or (status line, headers), body pieces) frame; raises
        once the worker is gone."""
        size = FRAME.unpack(await self.reader.readexactly(FRAME.size))[0]
        invocation, what, length = pickle.loads(await self.reader.readexactly(size))
        return invocation, what, await read_pieces(self.reader, length)

    def kill(self):
        self.killed = True
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.writer.close()


async def read_pieces(reader, length):
    """Reads `length` bytes as a list of pieces (a large body is not copied into one)."""
    pieces = []
    while length:
        piece = await reader.read(min(length, PIECE))
        if not piece:
            raise asyncio.IncompleteReadError(b"", length)
        pieces.append(piece)
        length -= len(piece)
    return pieces


class Job:
    def __init__(self, message):
        self.message = message  # (request meta, body pieces) until it is handed to a worker
        self.reply = asyncio.get_running_loop().create_future()
        self.timer = None

    def finish(self, reply):
        if self.timer:
            self.timer.cancel()
        if not self.reply.done():
            self.reply.set_result(reply)


class Pool:
    """Pre-forked workers, each running up to `concurrency` invocations at once.

    An invocation's FUNC_TIMEOUT runs from its handler's start (the worker says so), not while
    it waits for a free slot. A worker is killed and replaced when one of its invocations
    outlives its timeout, or when it does not even start an invocation within FUNC_TIMEOUT (it
    is stuck); every invocation it held then gets a 408, and the other workers keep serving.
    """

    def __init__(self, handler, size, concurrency, owned_fds):
        self.handler, self.size, self.concurrency = handler, size, concurrency
        self.owned_fds = owned_fds  # the server's sockets, which a forked worker must close
        self.workers = set()
        self.waiting = collections.deque()  # jobs waiting for a free slot, oldest first
        self.next_id = 0
        self.tasks = set()

    async def start(self):
        for _ in range(self.size):
            await self.spawn()

    async def spawn(self):
        parent, child = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            # The worker must not keep the server's client connections open, nor take its signals.
            signal.set_wakeup_fd(-1)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            for fd in list(self.owned_fds) + [w.sock.fileno() for w in self.workers]:
                try:
                    os.close(fd)
                except OSError:
                    pass
            parent.close()
            try:
                worker_main(child, self.handler)
            finally:
                os._exit(1)
        child.close()
        worker = Worker(pid, parent)
        await worker.connect()
        self.workers.add(worker)
        self.background(self.listen(worker))
        self.dispatch()

    def background(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def listen(self, worker):
        try:
            while True:
                invocation, what, pieces = await worker.receive()
                job = worker.jobs.get(invocation)
                if job is None:
                    continue
                if what == START:
                    worker.unstarted.popleft()
                    self.arm(worker, job, True)
                else:
                    del worker.jobs[invocation]
                    job.finish((*what, pieces))
                    self.dispatch()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            if not worker.killed:
                log(f"Worker {worker.pid} died while running {MOD_NAME}.{FUNC_HANDLER}")
                self.retire(worker, reply(500, TEXT, b"Internal Server Error"))

    def arm(self, worker, job, started):
        """(Re)starts a job's clock: until its handler starts, then from that start."""
        if job.timer:
            job.timer.cancel()
        job.timer = asyncio.get_running_loop().call_later(
            TIMEOUT, self.timed_out, worker, started)

    def timed_out(self, worker, started):
        if worker.killed:
            return
        if started:
            log(f"Function {MOD_NAME}.{FUNC_HANDLER} timed out after {TIMEOUT:g}s; killing "
                f"worker {worker.pid} and the {len(worker.jobs)} invocations it held")
        else:
            log(f"Worker {worker.pid} did not start an invocation within {TIMEOUT:g}s; killing "
                f"it and the {len(worker.jobs)} invocations it held")
        self.retire(worker, reply(408, TEXT, b"Timeout while processing the function"))

    def retire(self, worker, reply):
        """Kills a worker, answers the invocations it held with `reply`, and forks a new one."""
        worker.kill()
        self.workers.discard(worker)
        jobs, worker.jobs = list(worker.jobs.values()), {}
        for job in jobs:
            job.finish(reply)
        self.background(self.spawn())

    def dispatch(self):
        """Hands waiting jobs to the workers with a free slot, least busy first.

        A worker that has not started a job it was given STALL seconds ago (it is stuck) comes
        last; then one with jobs not started yet.
        """
        now = time.monotonic()
        while self.waiting:
            free = [w for w in self.workers if len(w.jobs) < self.concurrency]
            if not free:
                return
            worker = min(free, key=lambda w: (
                bool(w.unstarted) and now - w.unstarted[0] > STALL, len(w.unstarted), len(w.jobs)))
            job = self.waiting.popleft()
            invocation, self.next_id = self.next_id, self.next_id + 1
            worker.jobs[invocation] = job
            worker.unstarted.append(now)
            self.arm(worker, job, False)
            worker.send(invocation, job.message)
            job.message = None

    async def invoke(self, message):
        """Returns the reply to (request meta, body pieces): (status line, headers, pieces)."""
        job = Job(message)
        self.waiting.append(job)
        self.dispatch()
        try:
            return await job.reply
        finally:
            if job in self.waiting:  # the client went away while it waited
                self.waiting.remove(job)

    def stop(self):
        for worker in self.workers:
            worker.kill()


class AccessLog:
    """One line per invocation on stdout: the Common Log Format plus the duration in seconds.

    The lines of one turn of the event loop go out in one write (under load, many at once).
    """

    def __init__(self):
        self.second, self.stamp = None, ""
        self.lines = []

    def write(self, peer, method, target, version, status, size, seconds):
        now = int(time.time())
        if now != self.second:
            self.second = now
            self.stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))
        if not self.lines:
            asyncio.get_running_loop().call_soon(self.flush)
        self.lines.append(f'{peer} - - [{self.stamp}] "{method} {target} {version}" '
                          f"{status} {size} {seconds:.4f}\n")

    def flush(self):
        lines, self.lines = self.lines, []
        sys.stdout.write("".join(lines))


class Server:
    def __init__(self, pool, load_error):
        self.pool, self.load_error = pool, load_error
        self.metrics = Metrics()
        self.access_log = AccessLog()

    async def serve(self, reader, writer):
        sock = writer.get_extra_info("socket")
        peer = (writer.get_extra_info("peername") or ("-", 0))[:2]
        local = (writer.get_extra_info("sockname") or ("localhost", PORT))[:2]
        self.pool.owned_fds.add(sock.fileno())
        try:
            while await self.serve_one(reader, writer, peer, local):
                pass
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        except asyncio.CancelledError:
            pass  # the server is stopping with this request in flight: main() says so once
        finally:
            self.pool.owned_fds.discard(sock.fileno())
            writer.close()

    async def serve_one(self, reader, writer, peer, local):
        """Serves one request; returns whether the connection stays open."""
        head = await reader.readuntil(b"\r\n\r\n")
        started = time.perf_counter()
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip(), value.strip()))
        lookup = {name.lower(): value for name, value in headers}
        connection = lookup.get("connection", "").lower()
        keep_alive = (connection != "close") if version == "HTTP/1.1" else (connection == "keep-alive")

        chunked = "chunked" in lookup.get("transfer-encoding", "").lower()
        length = 0 if chunked else int(lookup.get("content-length") or 0)
        if length > MAX_BODY:
            return await self.reject_too_large(reader, writer, length, lookup)
        if lookup.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if chunked:
            body = await self.read_chunked(reader)
            if body is None:
                self.respond(writer, reply(413, TEXT, b"Request body too large"), False, False)
                return False
        else:
            body = await read_pieces(reader, length)

        path = target.split("?", 1)[0]
        if method == "GET" and path == "/healthz":
            status = 500 if self.load_error else 200
            self.respond(writer, reply(status, TEXT, (self.load_error or "OK").encode()),
                         keep_alive, False)
        elif method == "GET" and path == "/metrics":
            self.respond(writer, reply(200, "text/plain; version=0.0.4; charset=utf-8",
                                       self.metrics.render()), keep_alive, False)
        else:
            response = await self.call(method, (method, target, version, headers, peer, local), body)
            size = self.respond(writer, response, keep_alive, method == "HEAD")
            self.access_log.write(peer[0], method, target, version, response[0][:3], size,
                                  time.perf_counter() - started)
        if writer.transport.get_write_buffer_size() > 1 << 16:
            await writer.drain()
        return keep_alive

    async def call(self, method, meta, body):
        started = time.perf_counter()
        if self.load_error:
            log(f"Function not loaded: {self.load_error}")
            response = reply(500, TEXT, b"Internal Server Error")
        else:
            response = await self.pool.invoke((meta, body))
        self.metrics.observe(method, time.perf_counter() - started,
                             response[0][:3] in ("408", "500"))
        return response

    async def read_chunked(self, reader):
        """The pieces of a chunked body; None once it is over MAX_BODY."""
        chunks, total = [], 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                return chunks
            total += size
            if total > MAX_BODY:
                return None
            chunks += await read_pieces(reader, size)
            await reader.readexactly(2)

    async def reject_too_large(self, reader, writer, length, lookup):
        # Without "Expect: 100-continue" the client sends the body anyway: drop it, then answer,
        # so the client reads the 413 instead of a reset connection.
        if lookup.get("expect", "").lower() != "100-continue" and length <= MAX_DISCARD:
            while length > 0:
                chunk = await reader.read(min(length, PIECE))
                if not chunk:
                    break
                length -= len(chunk)
        self.respond(writer, reply(413, TEXT, b"Request body too large"), False, False)
        await writer.drain()
        return False

    @staticmethod
    def respond(writer, response, keep_alive, head_only):
        """Writes a response (status line, headers, body pieces); returns the body bytes sent."""
        status_line, headers, pieces = response
        lines = [f"HTTP/1.1 {status_line}"]
        lines += [f"{name}: {value}" for name, value in headers
                  if name.lower() not in HOP_BY_HOP]
        # No body at all for 1xx, 204 and 304; none sent for HEAD, its length all the same.
        bodiless = status_line[:1] == "1" or status_line[:3] in ("204", "304")
        size = 0 if bodiless else sum(map(len, pieces))
        if not bodiless:
            lines.append(f"Content-Length: {size}")
        if not keep_alive:
            lines.append("Connection: close")
        lines.append("\r\n")
        head = "\r\n".join(lines).encode("latin-1")
        if head_only or bodiless:
            writer.write(head)
            return 0
        if size <= PIECE:  # one write, one TCP segment for a small answer
            writer.write(b"".join([head, *pieces]))
            return size
        writer.write(head)
        for piece in pieces:
            writer.write(piece)
        return size


async def main():
    global CONCURRENCY  # noqa: PLW0603 - the workers forked below read it
    handler, load_error = load_handler()
    if load_error:
        log(load_error)
    # Workers are reaped by the kernel; they reset this to the default for the user's subprocesses.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    listener = socket.create_server(("0.0.0.0", PORT), backlog=1024, reuse_port=False)
    CONCURRENCY = CONCURRENCY or (100 if inspect.iscoroutinefunction(handler) else 10)
    pool = Pool(handler, WORKERS, CONCURRENCY, {listener.fileno()})
    if handler:
        await pool.start()
    server = Server(pool, load_error)
    await asyncio.start_server(server.serve, sock=listener, limit=1 << 16)
    log(f"Serving {MOD_NAME}.{FUNC_HANDLER} on port {PORT} with {WORKERS} workers of "
        f"{CONCURRENCY} invocations each, timeout {TIMEOUT:g}s, bodies up to {MAX_BODY} bytes")
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    await stop
    server.access_log.flush()
    in_flight = sum(len(worker.jobs) for worker in pool.workers) + len(pool.waiting)
    log(f"Stopping; {in_flight} invocations in flight are dropped" if in_flight else "Stopping")
    pool.stop()


if __name__ == "__main__":
    asyncio.run(main())
