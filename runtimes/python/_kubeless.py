"""Kubeless Python runtime: serves handler(event, context) from MOD_NAME over HTTP.

One asyncio process (the server) speaks HTTP and keeps a pool of pre-forked worker
processes that run the handler, many invocations per worker at once: an async handler's
on the worker's event loop, a plain handler's in its thread pool. When an invocation
outlives FUNC_TIMEOUT (counted from its handler's start) its worker is killed with SIGKILL
(that stops any Python or C code it runs) and a fresh worker is forked in its place, while
the server and the other workers keep serving. The user module is imported once in the
server before forking, so a worker starts in a millisecond and shares the module's memory
copy-on-write.

Only the standard library is used, so local mode needs nothing but python3.
"""

import asyncio
import collections
import concurrent.futures
import datetime
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
VOLUME = os.environ.get("KUBELESS_INSTALL_VOLUME", "/kubeless")
# Where the install step puts requirements.txt packages (pip install --target).
PACKAGES = os.path.join(VOLUME, ".python_packages")
MOD_NAME = os.environ.get("MOD_NAME", "")
FUNC_HANDLER = os.environ.get("FUNC_HANDLER", "")
TIMEOUT = float(os.environ.get("FUNC_TIMEOUT") or 180)
PORT = int(os.environ.get("FUNC_PORT") or 8080)
MAX_BODY = int(float(os.environ.get("REQ_MB_LIMIT") or 10) * 1024 * 1024)
WORKERS = int(os.environ.get("FUNC_WORKERS") or 4)
# Invocations one worker runs at once (threads for a plain function, tasks for an async one);
# the default is set once the handler is known: 10 (Kubeless's) or 100.
CONCURRENCY = int(os.environ.get("FUNC_CONCURRENCY") or 0)
# A body over the limit is read and dropped (up to this much) so the client sees the 413.
MAX_DISCARD = 100 * 1024 * 1024

CONTEXT = {
    "function-name": FUNC_HANDLER,
    "timeout": TIMEOUT,
    "runtime": os.environ.get("FUNC_RUNTIME", ""),
    "memory-limit": os.environ.get("FUNC_MEMORY_LIMIT", ""),
}

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 408: "Request Timeout",
           413: "Payload Too Large", 500: "Internal Server Error"}
TEXT = "text/plain; charset=utf-8"
FRAME = struct.Struct(">I")
START = "start"  # a worker's frame saying that an invocation's handler starts now
# A worker that has not started a job this long after receiving it gets new jobs last.
STALL = 0.1


def log(message):
    print(f"{datetime.datetime.now(datetime.timezone.utc).isoformat()} {message}",
          file=sys.stderr, flush=True)


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


class Request:
    """The HTTP request as event['extensions']['request'], shaped like Kubeless's bottle request."""

    def __init__(self, method, target, headers, body):
        self.method = method
        self.url = target
        self.path, _, self.query_string = target.partition("?")
        self.headers = {name.lower(): value for name, value in headers}
        self.query = {k: v[0] for k, v in urllib.parse.parse_qs(self.query_string).items()}
        self.body = io.BytesIO(body)
        self.content_type = self.headers.get("content-type", "")

    def get_header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    @property
    def json(self):
        return json.loads(self.body.getvalue() or b"null")


def is_json(content_type):
    mime = content_type.split(";", 1)[0].strip().lower()
    return mime == "application/json" or mime.endswith("+json")


def event_of(message):
    """The event of one invocation; or (status, content type, body) for an invalid body."""
    request = Request(*message)
    body = request.body.getvalue()
    if is_json(request.content_type) and body:
        try:
            data = json.loads(body)
        except ValueError:
            return 400, TEXT, b"Invalid JSON body"
    else:
        try:
            data = body.decode("utf-8")
        except UnicodeDecodeError:
            data = body
    headers = request.headers
    return {
        "data": data,
        "event-id": headers.get("event-id") or str(uuid.uuid4()),
        "event-type": headers.get("event-type") or request.content_type
        or "application/octet-stream",
        "event-time": headers.get("event-time")
        or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "event-namespace": headers.get("event-namespace") or "http.kubeless.io",
        "extensions": {"request": request},
    }


def encode(result):
    if result is None:
        return 200, TEXT, b""
    if isinstance(result, str):
        return 200, TEXT, result.encode("utf-8")
    if isinstance(result, (bytes, bytearray)):
        return 200, "application/octet-stream", bytes(result)
    return 200, "application/json", json.dumps(result).encode("utf-8")


def failed():
    # The traceback names the error and where it happened; the request body is never logged.
    log(f"Function {MOD_NAME}.{FUNC_HANDLER} failed:\n{traceback.format_exc()}")
    return 500, TEXT, b"Internal Server Error"


def invoke(handler, message):
    """Runs one invocation of a plain function; returns (status, content type, body)."""
    event = event_of(message)
    if isinstance(event, tuple):
        return event
    try:
        result = handler(event, CONTEXT)
        if inspect.isawaitable(result):  # a plain function that returned a coroutine
            result = asyncio.run(result)
        return encode(result)
    except Exception:  # noqa: BLE001 - the handler's failure becomes a 500
        return failed()


async def invoke_async(handler, message):
    """Runs one invocation of a coroutine function; returns (status, content type, body)."""
    event = event_of(message)
    if isinstance(event, tuple):
        return event
    try:
        return encode(await handler(event, CONTEXT))
    except Exception:  # noqa: BLE001 - the handler's failure becomes a 500
        return failed()


def recv_exactly(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def worker_main(sock, handler):
    """A worker's whole life: read request frames and run each invocation concurrently.

    A coroutine function runs on one event loop thread (many at once); a plain function runs in
    a pool of CONCURRENCY threads (the server never sends more at once). Each invocation reports
    START just before its handler runs, so the server times the handler, not the wait for it.
    """
    lock = threading.Lock()

    def send(frame):
        data = pickle.dumps(frame)
        with lock:
            sock.sendall(FRAME.pack(len(data)) + data)

    def run_sync(invocation, message):
        send((invocation, START))
        try:
            reply = invoke(handler, message)
        except BaseException:  # noqa: BLE001 - e.g. sys.exit() in the handler; answer anyway
            reply = failed()
        send((invocation, reply))

    async def run_async(invocation, message):
        send((invocation, START))
        try:
            reply = await invoke_async(handler, message)
        except BaseException:  # noqa: BLE001 - e.g. sys.exit() in the handler; answer anyway
            reply = failed()
        send((invocation, reply))

    if inspect.iscoroutinefunction(handler):
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()

        def submit(invocation, message):
            asyncio.run_coroutine_threadsafe(run_async(invocation, message), loop)
    else:
        threads = concurrent.futures.ThreadPoolExecutor(CONCURRENCY, "invocation")

        def submit(invocation, message):
            threads.submit(run_sync, invocation, message)

    while True:
        header = recv_exactly(sock, FRAME.size)
        if header is None:
            os._exit(0)  # the server is gone
        invocation, message = pickle.loads(recv_exactly(sock, FRAME.unpack(header)[0]))
        submit(invocation, message)


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
        frame = pickle.dumps((invocation, message))
        self.writer.write(FRAME.pack(len(frame)) + frame)

    async def receive(self):
        """The next (invocation id, START or reply) frame; raises once the worker is gone."""
        size = FRAME.unpack(await self.reader.readexactly(FRAME.size))[0]
        return pickle.loads(await self.reader.readexactly(size))

    def kill(self):
        self.killed = True
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.writer.close()


class Job:
    def __init__(self, message):
        self.message = message
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
                invocation, reply = await worker.receive()
                job = worker.jobs.get(invocation)
                if job is None:
                    continue
                if reply == START:
                    worker.unstarted.popleft()
                    self.arm(worker, job, True)
                else:
                    del worker.jobs[invocation]
                    job.finish(reply)
                    self.dispatch()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            if not worker.killed:
                log(f"Worker {worker.pid} died while running {MOD_NAME}.{FUNC_HANDLER}")
                self.retire(worker, (500, TEXT, b"Internal Server Error"))

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
        self.retire(worker, (408, TEXT, b"Timeout while processing the function"))

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

    async def invoke(self, message):
        """Returns (status, content type, body)."""
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


class Server:
    def __init__(self, pool, load_error):
        self.pool, self.load_error = pool, load_error
        self.metrics = Metrics()

    async def serve(self, reader, writer):
        sock = writer.get_extra_info("socket")
        self.pool.owned_fds.add(sock.fileno())
        try:
            while await self.serve_one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            self.pool.owned_fds.discard(sock.fileno())
            writer.close()

    async def serve_one(self, reader, writer):
        """Serves one request; returns whether the connection stays open."""
        head = await reader.readuntil(b"\r\n\r\n")
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
                self.respond(writer, 413, TEXT, b"Request body too large", False)
                return False
        else:
            body = await reader.readexactly(length) if length else b""

        path = target.split("?", 1)[0]
        if method == "GET" and path == "/healthz":
            if self.load_error:
                status, content_type, payload = 500, TEXT, self.load_error.encode()
            else:
                status, content_type, payload = 200, TEXT, b"OK"
        elif method == "GET" and path == "/metrics":
            status, content_type, payload = 200, "text/plain; version=0.0.4; charset=utf-8", \
                self.metrics.render()
        else:
            status, content_type, payload = await self.call(method, target, headers, body)
        self.respond(writer, status, content_type, payload, keep_alive)
        if writer.transport.get_write_buffer_size() > 1 << 16:
            await writer.drain()
        return keep_alive

    async def call(self, method, target, headers, body):
        started = time.perf_counter()
        if self.load_error:
            log(f"Function not loaded: {self.load_error}")
            reply = 500, TEXT, b"Internal Server Error"
        else:
            reply = await self.pool.invoke((method, target, headers, body))
        self.metrics.observe(method, time.perf_counter() - started, reply[0] in (408, 500))
        return reply

    async def read_chunked(self, reader):
        chunks, total = [], 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                return None
            chunks.append((await reader.readexactly(size + 2))[:-2])

    async def reject_too_large(self, reader, writer, length, lookup):
        # Without "Expect: 100-continue" the client sends the body anyway: drop it, then answer,
        # so the client reads the 413 instead of a reset connection.
        if lookup.get("expect", "").lower() != "100-continue" and length <= MAX_DISCARD:
            while length > 0:
                chunk = await reader.read(min(length, 1 << 20))
                if not chunk:
                    break
                length -= len(chunk)
        self.respond(writer, 413, TEXT, b"Request body too large", False)
        await writer.drain()
        return False

    @staticmethod
    def respond(writer, status, content_type, payload, keep_alive):
        head = (f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n"
                f"{'' if keep_alive else 'Connection: close' + chr(13) + chr(10)}\r\n")
        writer.write(head.encode("latin-1") + payload)


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
        f"{CONCURRENCY} invocations each, "
        f"timeout {TIMEOUT:g}s")
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    await stop
    pool.stop()


if __name__ == "__main__":
    asyncio.run(main())
