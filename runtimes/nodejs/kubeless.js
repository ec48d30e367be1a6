'use strict';

// Kubeless Node.js runtime: serves `module.exports[FUNC_HANDLER](event, context)` over HTTP.
//
// The main thread speaks HTTP and keeps a pool of worker threads (worker.js) that each load the
// function and run many invocations at once on their event loop. An invocation that outlives
// FUNC_TIMEOUT (counted from its handler's start) gets a 408 and its worker is terminated (V8 stops
// even a `while (true) {}`) and replaced, while the server and the other workers keep serving.
// Only Node's standard library is used.

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
      if (message.type === 'ready') {
        this.workers.add(worker);
        this.dispatch();
        this.loaded();
      } else if (message.type === 'loadError') {
        this.loadError = message.message;
        log(message.message);
        worker.terminate();
        this.loaded();
      } else if (message.type === 'start') {
        if (!worker.jobs.has(message.id)) return;
        const job = worker.jobs.get(message.id);
        worker.unstarted.shift();
        this.arm(worker, job, true);
      } else {
        const job = worker.jobs.get(message.id);
        if (!job) return;
        worker.jobs.delete(message.id);
        job.finish(message.reply);
        this.dispatch();
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
    jobs.forEach((job) => job.finish(reply));
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
      best.postMessage({ id, request: job.request });
    }
  }

  /** Resolves to {status, type, body}. */
  invoke(request) {
    return new Promise((resolve) => {
      const job = { request };
      job.finish = (reply) => {
        clearTimeout(job.timer);
        job.finish = () => {};
        resolve(reply);
      };
      this.waiting.push(job);
      this.dispatch();
    });
  }
}

const metrics = new Metrics();
const pool = new Pool(config.workers, config.concurrency);

function send(res, status, type, body, close) {
  const headers = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) };
  if (close) headers.Connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
}

function invoke(req, res, body) {
  const started = process.hrtime.bigint();
  const finish = (reply) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observe(req.method, seconds, reply.status === 500 || reply.status === 408);
    const payload = typeof reply.body === 'string' ? reply.body : Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength);
    send(res, reply.status, reply.type, payload);
  };
  if (pool.loadError) {
    log(`Function not loaded: ${pool.loadError}`);
    finish({ status: 500, type: TEXT, body: 'Internal Server Error' });
    return;
  }
  const request = { method: req.method, url: req.url, headers: req.headers, body };
  pool.invoke(request).then(finish);
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
  const chunks = [];
  let size = 0;
  let discarded = false;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > config.maxBody) {
      discarded = true;
      chunks.length = 0;
      if (size > MAX_DISCARD) req.destroy();
    } else {
      chunks.push(chunk);
    }
  });
  req.on('end', () => {
    if (discarded) send(res, 413, TEXT, 'Request body too large', true);
    else invoke(req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  });
}

async function main() {
  await pool.start();
  const server = http.createServer({ keepAliveTimeout: 65000 }, onRequest);
  // With "Expect: 100-continue" the body is only sent once we ask for it (or never, after a 413).
  server.on('checkContinue', (req, res) => {
    if (Number(req.headers['content-length'] || '0') > config.maxBody) {
      send(res, 413, TEXT, 'Request body too large', true);
    } else {
      res.writeContinue();
      onRequest(req, res);
    }
  });
  server.listen(config.port, () =>
    log(`Serving ${config.modName}.${config.handler} on port ${config.port} with ${config.workers} workers of ${config.concurrency} invocations each, timeout ${config.timeout}s`));
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
