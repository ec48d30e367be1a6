'use strict';

// Kubeless Node.js runtime: serves `module.exports[FUNC_HANDLER](event, context)` over HTTP.
//
// The main thread speaks HTTP and keeps a pool of worker threads (worker.js) that each load the
// function and run many invocations at once on their event loop. An invocation that outlives
// FUNC_TIMEOUT (counted from its handler's start) gets a 408 and its worker is terminated (V8 stops
// even a `while (true) {}`) and replaced, while the server and the other workers keep serving.
// This thread uses only Node's standard library; the workers give the handler Express's request
// and response (see worker.js), whose bytes this thread reads from and writes to the socket.

const http = require('node:http');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const config = {
  volume: process.env.KUBELESS_INSTALL_VOLUME || '/kubeless',
  modName: process.env.MOD_NAME || '',
  handler: process.env.FUNC_HANDLER || '',
  timeout: Number(process.env.FUNC_TIMEOUT || '180'),
  port: Number(process.env.FUNC_PORT || '8080'),
  runtime: process.env.FUNC_RUNTIME || '',
  memoryLimit: process.env.FUNC_MEMORY_LIMIT || '',
  maxBody: Math.floor(Number(process.env.REQ_MB_LIMIT || '10') * 1024 * 1024),
  workers: Number(process.env.FUNC_WORKERS || '4'),
  concurrency: Number(process.env.FUNC_CONCURRENCY || '100'),
};
// A body over the limit is read and dropped (up to this much) so the client sees the 413.
const MAX_DISCARD = 100 * 1024 * 1024;
const TEXT = 'text/plain; charset=utf-8';
// A worker that has not started an invocation this long after receiving it gets new ones last.
const STALL_MS = 100;

function log(message) {
  console.error(`${new Date().toISOString()} ${message}`);
}

/** Prometheus counters and histogram, labelled by HTTP method. */
class Metrics {
  constructor() {
    this.buckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
    this.byMethod = new Map();
  }

  observe(method, seconds, failed) {
    let m = this.byMethod.get(method);
    if (!m) {
      m = { calls: 0, failures: 0, counts: this.buckets.map(() => 0), sum: 0 };
      this.byMethod.set(method, m);
    }
    m.calls++;
    if (failed) m.failures++;
    this.buckets.forEach((bound, i) => { if (seconds <= bound) m.counts[i]++; });
    m.sum += seconds;
  }

  render() {
    const lines = [
      '# HELP function_calls_total Number of calls to user function',
      '# TYPE function_calls_total counter'];
    for (const [method, m] of this.byMethod) lines.push(`function_calls_total{method="${method}"} ${m.calls}`);
    lines.push('# HELP function_failures_total Number of exceptions in user function',
      '# TYPE function_failures_total counter');
    for (const [method, m] of this.byMethod) lines.push(`function_failures_total{method="${method}"} ${m.failures}`);
    lines.push('# HELP function_duration_seconds Duration of user function in seconds',
      '# TYPE function_duration_seconds histogram');
    for (const [method, m] of this.byMethod) {
      this.buckets.forEach((bound, i) =>
        lines.push(`function_duration_seconds_bucket{method="${method}",le="${bound}"} ${m.counts[i]}`));
      lines.push(`function_duration_seconds_bucket{method="${method}",le="+Inf"} ${m.calls}`);
      lines.push(`function_duration_seconds_sum{method="${method}"} ${m.sum}`);
      lines.push(`function_duration_seconds_count{method="${method}"} ${m.calls}`);
    }
    return lines.join('\n') + '\n';
  }
}

/**
 * Worker threads running the function, each up to `config.concurrency` invocations at once: a
 * handler that awaits (I/O, timers) does not hold its worker, so many run on one event loop.
 *
 * An invocation's FUNC_TIMEOUT runs from the moment its worker starts the handler (the worker says
 * so), not while it waits for a free slot. A worker is terminated (V8 stops even a
 * `while (true) {}`) and replaced when one of its invocations outlives its timeout, or when it does
 * not even start an invocation within FUNC_TIMEOUT (its event loop is blocked); every invocation
 * it held then gets a 408, and the other workers keep serving.
 *
 * A job (a Call) is anything with `request`, `attach(worker, id)` (it was handed to that worker),
 * `deliver(message)` (part of a streamed answer) and `finish(message)` (its last message: `reply`,
 * `end` or `fail`).
 */
class Pool {
  constructor(size, concurrency) {
    this.size = size;
    this.concurrency = concurrency;
    this.workers = new Set();
    this.waiting = []; // invocations waiting for a free slot, oldest first
    this.nextId = 0;
    this.loadError = null;
  }

  /** Starts the workers; resolves once the function is loaded (or failed to load). */
  start() {
    return new Promise((resolve) => {
      this.onLoaded = resolve;
      for (let i = 0; i < this.size; i++) this.spawn();
    });
  }

  spawn() {
    const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: config });
    worker.jobs = new Map(); // invocation id -> job, for the invocations this worker holds
    worker.unstarted = []; // when it was given each invocation it has not started yet, oldest first
    worker.on('message', (message) => {
      const type = message.type;
      if (type === 'body') {
        const job = worker.jobs.get(message.id);
        if (job) job.deliver(message);
      } else if (type === 'reply' || type === 'end' || type === 'fail') {
        const job = worker.jobs.get(message.id);
        if (!job) return;
        worker.jobs.delete(message.id);
        clearTimeout(job.timer);
        job.finish(message);
        this.dispatch();
      } else if (type === 'start') {
        if (!worker.jobs.has(message.id)) return;
        const job = worker.jobs.get(message.id);
        worker.unstarted.shift();
        this.arm(worker, job, true);
      } else if (type === 'ready') {
        this.workers.add(worker);
        this.dispatch();
        this.loaded();
      } else if (type === 'loadError') {
        this.loadError = message.message;
        log(message.message);
        worker.terminate();
        this.loaded();
      }
    });
    worker.on('error', (err) => log(`Worker failed: ${err && err.stack}`));
    worker.on('exit', () => {
      this.workers.delete(worker);
      if (worker.killed) return;
      if (worker.jobs.size > 0) log(`Worker running ${config.modName}.${config.handler} exited unexpectedly`);
      this.fail(worker, { status: 500, type: TEXT, body: 'Internal Server Error' });
      if (!this.loadError) this.spawn();
    });
  }

  loaded() {
    if (this.onLoaded) {
      this.onLoaded();
      this.onLoaded = null;
    }
  }

  /** (Re)starts a job's clock: until the handler starts, then from its start. */
  arm(worker, job, started) {
    clearTimeout(job.timer);
    job.timer = setTimeout(() => this.timedOut(worker, started), config.timeout * 1000);
  }

  timedOut(worker, started) {
    if (worker.killed) return;
    const fn = `${config.modName}.${config.handler}`;
    const held = `the ${worker.jobs.size} invocations it held`;
    log(started
      ? `Function ${fn} timed out after ${config.timeout}s; terminating its worker and ${held}`
      : `Worker running ${fn} did not start an invocation within ${config.timeout}s; terminating it and ${held}`);
    worker.killed = true;
    this.workers.delete(worker);
    worker.terminate();
    this.fail(worker, { status: 408, type: TEXT, body: 'Timeout while processing the function' });
    this.spawn();
  }

  fail(worker, reply) {
    const jobs = [...worker.jobs.values()];
    worker.jobs.clear();
    jobs.forEach((job) => {
      clearTimeout(job.timer);
      job.finish({ type: 'reply', reply });
    });
  }

  /**
   * Hands waiting invocations to the workers with a free slot, least busy first; a worker that has
   * not started an invocation it was given STALL_MS ago (its event loop is blocked) comes last,
   * then one with invocations not started yet.
   */
  dispatch() {
    const now = Date.now();
    const stalled = (worker) => worker.unstarted.length > 0 && now - worker.unstarted[0] > STALL_MS;
    const load = (worker) => worker.jobs.size
      + this.concurrency * (worker.unstarted.length + (stalled(worker) ? this.concurrency : 0));
    while (this.waiting.length > 0) {
      let best = null;
      for (const worker of this.workers) {
        if (worker.jobs.size < this.concurrency && (!best || load(worker) < load(best))) best = worker;
      }
      if (!best) return;
      const job = this.waiting.shift();
      const id = this.nextId++;
      best.jobs.set(id, job);
      best.unstarted.push(now);
      this.arm(best, job, false);
      job.attach(best, id);
    }
  }

  /** Queues a job until a worker has a free slot. */
  invoke(job) {
    this.waiting.push(job);
    this.dispatch();
  }

  /** Forgets a job that no worker has taken yet; false when one has. */
  cancel(job) {
    const at = this.waiting.indexOf(job);
    if (at < 0) return false;
    this.waiting.splice(at, 1);
    return true;
  }
}

const metrics = new Metrics();
const pool = new Pool(config.workers, config.concurrency);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let clfSecond = -1;
let clfText = '';

/** The current time in the Common Log Format, UTC: 02/Dec/2026:16:05:01 +0000. */
function clfNow() {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== clfSecond) {
    const date = new Date(now);
    const two = (n) => String(n).padStart(2, '0');
    clfSecond = second;
    clfText = `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:`
      + `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
  }
  return clfText;
}

// Access log lines of this turn of the event loop, written together at its end.
let accessLines = '';

function flushAccessLog() {
  const lines = accessLines;
  accessLines = '';
  process.stdout.write(lines);
}

/** One access log line on stdout: the Common Log Format, then the duration in seconds. */
function accessLog(req, client, status, bytes, seconds) {
  if (accessLines === '') setImmediate(flushAccessLog);
  accessLines += `${client || '-'} - - [${clfNow()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" `
    + `${status} ${bytes} ${seconds.toFixed(4)}\n`;
}

function send(res, status, type, body, close) {
  const headers = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) };
  if (close) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

function isMultipart(type) {
  return (type || '').trimStart().toLowerCase().startsWith('multipart/');
}

/** As Kubeless's body parser (type-is) decided: a request without either header has no body. */
function hasBody(headers) {
  return headers['transfer-encoding'] !== undefined || !Number.isNaN(Number.parseInt(headers['content-length'], 10));
}

/**
 * One HTTP request to the function, from its arrival to its answer: the worker's reply, or the
 * response the handler streamed (head, body chunks, end), written to the client's socket.
 *
 * A non-multipart body is read whole first (it becomes event.data); a multipart body is streamed to
 * the worker as it arrives (Kubeless left it unread for a middleware such as multer), and a body
 * over REQ_MB_LIMIT aborts the invocation and gets a 413 once the client has sent it.
 */
class Call {
  constructor(req, res, streamed) {
    this.req = req;
    this.res = res;
    this.client = req.socket.remoteAddress;
    this.started = process.hrtime.bigint();
    const socket = req.socket;
    this.request = {
      method: req.method,
      url: req.url,
      httpVersion: req.httpVersion,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      remoteFamily: socket.remoteFamily,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
      streamed,
      body: null,
    };
    this.worker = null;
    this.queue = []; // messages for the worker until one takes the invocation
    this.answered = false; // the HTTP answer is complete (or the connection dropped)
    this.status = 0;
    this.bytes = 0;
    this.unacknowledged = 0; // body bytes written to the socket but not yet reported to the worker
    this.aborted = null;
    this.watching = false;
  }

  /**
   * Stops the handler when the client leaves before its answer, for an invocation that streams its
   * body or its answer (one that only returns a value runs to its end, its answer then dropped).
   */
  watchClient() {
    if (this.watching) return;
    this.watching = true;
    this.res.on('close', () => {
      if (!this.answered && !this.aborted) this.abort('closed');
    });
  }

  /** The whole body, in a buffer of its own that moves to the worker without a copy. */
  setBody(chunks, size) {
    const body = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.length;
    }
    this.request.body = body;
    this.transfer = [body.buffer];
  }

  post(message, transfer) {
    if (this.worker) {
      message.id = this.id;
      this.worker.postMessage(message, transfer);
    } else {
      this.queue.push([message, transfer]);
    }
  }

  attach(worker, id) {
    this.worker = worker;
    this.id = id;
    worker.postMessage({ type: 'invoke', id, request: this.request }, this.transfer);
    this.request = null;
    for (const [message, transfer] of this.queue) this.post(message, transfer);
    this.queue = null;
  }

  /** A chunk of a streamed (multipart) body. */
  data(chunk) {
    const copy = new Uint8Array(chunk.length);
    copy.set(chunk);
    this.post({ type: 'data', chunk: copy }, [copy.buffer]);
  }

  /** Stops the invocation: the body was too large ('tooLarge') or the client left ('closed'). */
  abort(reason) {
    this.aborted = reason;
    if (!pool.cancel(this)) this.post({ type: 'abort', reason });
    else if (reason === 'closed') this.done(); // it never reached a worker
  }

  writeHead(head) {
    if (!head) return;
    this.status = head.status;
    try {
      for (const [name, value] of head.headers) this.res.setHeader(name, value);
      this.res.writeHead(head.status, head.statusMessage);
    } catch (err) {
      log(`Invalid response head from ${config.modName}.${config.handler}: ${err.message}`);
      this.res.destroy();
    }
  }

  /** Part of an answer the handler streams through event.extensions.response. */
  deliver(message) {
    if (this.answered || this.aborted === 'tooLarge') return;
    const res = this.res;
    this.watchClient();
    this.writeHead(message.head);
    if (message.chunks.length === 0) {
      if (!res.destroyed) res.flushHeaders();
      return;
    }
    let flushed = true;
    let size = 0;
    for (const chunk of message.chunks) {
      size += chunk.byteLength;
      if (!res.destroyed) flushed = res.write(chunk);
    }
    this.bytes += size;
    this.unacknowledged += size;
    if (flushed || res.destroyed) this.acknowledge();
    else if (this.unacknowledged === size) res.once('drain', () => this.acknowledge());
  }

  acknowledge() {
    if (this.unacknowledged === 0) return;
    this.post({ type: 'written', bytes: this.unacknowledged });
    this.unacknowledged = 0;
  }

  /** The invocation's last message: its reply, the end of its streamed answer, or a failure. */
  finish(message) {
    // A body over the limit is answered 413 once the client has sent it all.
    if (this.answered || this.aborted === 'tooLarge') return;
    if (message.type !== 'end' && this.res.headersSent) {
      // The answer broke off after its head (the handler failed or destroyed the response, or
      // timed out): so does the connection.
      this.res.destroy();
      this.failed = true;
    } else if (message.type === 'reply') {
      const reply = message.reply;
      const payload = typeof reply.body === 'string' ? reply.body : Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength);
      const res = this.res;
      try {
        if (reply.headers) {
          // Set by the handler on event.extensions.response before it returned.
          for (const [name, value] of reply.headers) res.setHeader(name, value);
          if (!res.hasHeader('content-type')) res.setHeader('Content-Type', reply.type);
          res.setHeader('Content-Length', Buffer.byteLength(payload));
          res.writeHead(reply.status, reply.statusMessage);
        } else {
          res.writeHead(reply.status, { 'Content-Type': reply.type, 'Content-Length': Buffer.byteLength(payload) });
        }
        res.end(payload);
      } catch (err) {
        log(`Invalid reply from ${config.modName}.${config.handler}: ${err.message}`);
        res.destroy();
      }
      this.status = reply.status;
      this.bytes = Buffer.byteLength(payload);
    } else if (message.type === 'end') {
      this.writeHead(message.head);
      this.res.end();
    } else {
      // The handler destroyed its response before it began.
      this.res.destroy();
      this.failed = true;
    }
    this.done();
  }

  /** Answers without invoking: 413, or 500 when the function did not load. */
  refuse(status, body, close) {
    if (this.answered) return;
    if (this.res.headersSent) {
      this.res.destroy();
      this.failed = true;
    } else {
      send(this.res, status, TEXT, body, close);
      this.status = status;
      this.bytes = Buffer.byteLength(body);
    }
    this.done();
  }

  done() {
    this.answered = true;
    const seconds = Number(process.hrtime.bigint() - this.started) / 1e9;
    // A client that left is no failure of the function; its line says 499 (as nginx does).
    const gone = this.aborted === 'closed';
    const failed = (this.failed && !gone) || this.status === 500 || this.status === 408;
    if (this.worker || this.status !== 413) metrics.observe(this.req.method, seconds, failed);
    const status = gone ? 499 : this.status || (this.failed ? 500 : 0);
    accessLog(this.req, this.client, status, this.bytes, seconds);
  }
}

function onRequest(req, res) {
  if (req.method === 'GET' && (req.url === '/healthz' || req.url.startsWith('/healthz?'))) {
    if (pool.loadError) send(res, 500, TEXT, pool.loadError);
    else send(res, 200, TEXT, 'OK');
    return;
  }
  if (req.method === 'GET' && (req.url === '/metrics' || req.url.startsWith('/metrics?'))) {
    send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', metrics.render());
    return;
  }
  if (Number(req.headers['content-length']) > config.maxBody) {
    refuse(req, new Call(req, res, false));
  } else if (isMultipart(req.headers['content-type']) && hasBody(req.headers)) {
    stream(req, new Call(req, res, true));
  } else {
    buffer(req, new Call(req, res, false));
  }
}

/** Reads and drops a body over the limit (up to MAX_DISCARD, so the client sees the answer), then 413. */
function refuse(req, call) {
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_DISCARD) req.destroy();
  });
  req.on('end', () => call.refuse(413, 'Request body too large', true));
}

function loaded(call) {
  if (!pool.loadError) return true;
  log(`Function not loaded: ${pool.loadError}`);
  call.refuse(500, 'Internal Server Error');
  return false;
}

/** Reads the whole body, then invokes. */
function buffer(req, call) {
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > config.maxBody) {
      tooLarge = true;
      chunks.length = 0;
      if (size > MAX_DISCARD) req.destroy();
    } else {
      chunks.push(chunk);
    }
  });
  req.on('end', () => {
    if (tooLarge) {
      call.refuse(413, 'Request body too large', true);
    } else if (loaded(call)) {
      call.setBody(chunks, size);
      pool.invoke(call);
    }
  });
}

/** Invokes at once and hands the body to the worker as it arrives. */
function stream(req, call) {
  if (!loaded(call)) {
    req.resume();
    return;
  }
  let size = 0;
  let tooLarge = false;
  call.watchClient();
  pool.invoke(call);
  req.on('data', (chunk) => {
    size += chunk.length;
    if (tooLarge) {
      if (size > MAX_DISCARD) req.destroy();
    } else if (size > config.maxBody) {
      tooLarge = true;
      call.abort('tooLarge');
      // The answer has begun already: all that is left is to break it off.
      if (call.res.headersSent) call.res.destroy();
    } else if (!call.answered) {
      call.data(chunk);
    }
  });
  req.on('end', () => {
    if (tooLarge) call.refuse(413, 'Request body too large', true);
    else call.post({ type: 'end' });
  });
}

async function main() {
  await pool.start();
  const server = http.createServer({ keepAliveTimeout: 65000 }, onRequest);
  // With "Expect: 100-continue" the body is only sent once we ask for it (or never, after a 413).
  server.on('checkContinue', (req, res) => {
    if (Number(req.headers['content-length'] || '0') > config.maxBody) {
      new Call(req, res, false).refuse(413, 'Request body too large', true);
    } else {
      res.writeContinue();
      onRequest(req, res);
    }
  });
  server.listen(config.port, () =>
    log(`Serving ${config.modName}.${config.handler} on port ${config.port} with ${config.workers} workers of ${config.concurrency} invocations each, timeout ${config.timeout}s`));
  const stop = () => {
    server.close();
    flushAccessLog();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
