'use strict';

// A worker thread of the Node.js runtime: loads the function once, then runs the invocations the
// main thread (kubeless.js) hands it, many at once. For each it posts when the handler starts (the
// main thread's timeout clock starts then) and then its answer: either one `reply` (the handler's
// return value) or, when the handler answers through `event.extensions.response`, the response's
// head, its body chunks as they are written, and its end.
//
// `event.extensions.request` and `event.extensions.response` are Express's request and response (as
// in Kubeless, whose runtime was an Express app), built on first use: the request is a real
// `http.IncomingMessage` fed with the body the main thread received (streamed as it arrives for a
// multipart body), the response a Writable whose output goes back to the main thread, which writes
// it to the client's socket.

const http = require('node:http');
const path = require('node:path');
const { EventEmitter } = require('node:events');
const { Writable } = require('node:stream');
const { isUtf8 } = require('node:buffer');
const { inspect } = require('node:util');
const { randomUUID } = require('node:crypto');
const { parentPort, workerData: config } = require('node:worker_threads');

const context = {
  'function-name': config.handler,
  timeout: config.timeout,
  runtime: config.runtime,
  'memory-limit': config.memoryLimit,
};
const TEXT = 'text/plain; charset=utf-8';
// Response bytes posted to the main thread and not yet written to the socket before the response
// stops accepting more (its write() returns false until the main thread catches up).
const WINDOW = 1024 * 1024;


function load() {
  const what = `cannot load ${config.modName}.${config.handler}`;
  let mod;
  try {
    mod = require(path.resolve(config.volume, `${config.modName}.js`));
  } catch (err) {
    return { error: `${what}: ${err.name}: ${err.message}` };
  }
  const handler = typeof mod === 'function' ? mod : mod && mod[config.handler];
  if (typeof handler !== 'function') {
    return { error: `${what}: module ${config.modName} exports no function ${config.handler}` };
  }
  return { handler };
}

function isJson(type) {
  const mime = (type || '').split(';', 1)[0].trim().toLowerCase();
  return mime === 'application/json' || mime.endsWith('+json');
}

function logError(message) {
  console.error(`${new Date().toISOString()} ${message}`);
}

function describe(err) {
  return err && err.stack ? err.stack : String(err);
}

/** Copies chunks into one fresh buffer that can be transferred to the main thread. */
function joined(chunks) {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** The client's connection as the request sees it: addresses, no TLS (TLS ends before the pod). */
class Connection extends EventEmitter {
  constructor(info) {
    super();
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    this.remoteFamily = info.remoteFamily;
    this.localAddress = info.localAddress;
    this.localPort = info.localPort;
    this.encrypted = false;
    // The main thread owns the real socket: nothing to read from or destroy here.
    this.readable = false;
    this.writable = true;
    this.destroyed = true;
  }

  address() {
    return { address: this.localAddress, port: this.localPort, family: this.remoteFamily };
  }

  setTimeout() { return this; }

  setNoDelay() { return this; }

  setKeepAlive() { return this; }

  destroy() { return this; }
}

function headersSentError(what) {
  const err = new Error(`Cannot ${what} headers after they are sent to the client`);
  err.code = 'ERR_HTTP_HEADERS_SENT';
  return err;
}

/**
 * The part of `http.ServerResponse` handlers and Express use, as a Writable stream: headers and
 * status are kept until the first write (or `writeHead`/`flushHeaders`), then posted to the main
 * thread with the body chunks. At most WINDOW bytes are in flight; beyond that `write()` returns
 * false and 'drain' follows once the main thread has written them to the socket.
 */
class WorkerResponse extends Writable {
  constructor(invocation, req) {
    super({ highWaterMark: 64 * 1024 });
    this.invocation = invocation;
    this.req = req;
    this.socket = req.socket;
    this.connection = req.socket;
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.headersSent = false;
    this.sendDate = true;
    this.locals = Object.create(null);
    this.fields = new Map(); // lower-case name -> [name as given, value]
    this.inFlight = 0;
    this.blocked = null; // the write callback waiting for the main thread to catch up
    // A write after the end or after the client left must not take the worker down.
    this.on('error', (err) => {
      if (!invocation.aborted) logError(`Response of ${config.modName}.${config.handler} failed: ${describe(err)}`);
    });
  }

  get finished() {
    return this.writableEnded;
  }

  setHeader(name, value) {
    if (this.headersSent) throw headersSentError('set');
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
    this.fields.set(String(name).toLowerCase(), [String(name), value]);
    return this;
  }

  appendHeader(name, value) {
    const previous = this.getHeader(name);
    if (previous === undefined) return this.setHeader(name, value);
    return this.setHeader(name, [].concat(previous, value));
  }

  getHeader(name) {
    const field = this.fields.get(String(name).toLowerCase());
    return field && field[1];
  }

  getHeaders() {
    const headers = Object.create(null);
    for (const [lower, [, value]] of this.fields) headers[lower] = value;
    return headers;
  }

  getHeaderNames() {
    return [...this.fields.keys()];
  }

  hasHeader(name) {
    return this.fields.has(String(name).toLowerCase());
  }

  removeHeader(name) {
    if (this.headersSent) throw headersSentError('remove');
    this.fields.delete(String(name).toLowerCase());
  }

  writeHead(statusCode, statusMessage, headers) {
    if (this.headersSent) throw headersSentError('write');
    if (typeof statusMessage !== 'string') {
      headers = statusMessage;
      statusMessage = undefined;
    }
    const status = Number(statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 999) {
      const err = new RangeError(`Invalid status code: ${statusCode}`);
      err.code = 'ERR_HTTP_INVALID_STATUS_CODE';
      throw err;
    }
    this.statusCode = status;
    if (statusMessage !== undefined) this.statusMessage = statusMessage;
    if (Array.isArray(headers)) {
      if (headers.length > 0 && Array.isArray(headers[0])) headers.forEach(([k, v]) => this.appendHeader(k, v));
      else for (let i = 0; i + 1 < headers.length; i += 2) this.appendHeader(headers[i], headers[i + 1]);
    } else if (headers) {
      for (const name of Object.keys(headers)) this.setHeader(name, headers[name]);
    }
    this.head = this.takeHead();
    return this;
  }

  flushHeaders() {
    const head = this.pendingHead();
    if (head) this.invocation.post({ type: 'body', head, chunks: [] });
  }

  setTimeout() {
    return this;
  }

  /** The status and headers, once: headers cannot change after this. */
  takeHead() {
    this.headersSent = true;
    return {
      status: this.statusCode,
      statusMessage: this.statusMessage,
      headers: [...this.fields.values()],
    };
  }

  pendingHead() {
    if (!this.headersSent) this.head = this.takeHead();
    const head = this.head;
    this.head = null;
    return head;
  }

  _write(chunk, encoding, callback) {
    this._writev([{ chunk }], callback);
  }

  _writev(entries, callback) {
    if (this.invocation.aborted) {
      callback(new Error('The client is gone'));
      return;
    }
    const body = joined(entries.map((entry) => entry.chunk));
    this.inFlight += body.length;
    this.invocation.post({ type: 'body', head: this.pendingHead(), chunks: [body] }, [body.buffer]);
    if (this.inFlight <= WINDOW) callback();
    else this.blocked = callback;
  }

  /** The main thread wrote `bytes` more to the socket. */
  written(bytes) {
    this.inFlight -= bytes;
    if (this.blocked && this.inFlight <= WINDOW) {
      const callback = this.blocked;
      this.blocked = null;
      callback();
    }
  }

  _final(callback) {
    if (!this.invocation.aborted) this.invocation.finish({ type: 'end', head: this.pendingHead() });
    callback();
  }

  _destroy(err, callback) {
    if (this.blocked) {
      const blocked = this.blocked;
      this.blocked = null;
      blocked(err || new Error('The response was destroyed'));
    }
    // A response the handler destroys before it ended: the client's connection is closed.
    if (!this.writableFinished) this.invocation.finish({ type: 'fail' });
    callback(err);
  }
}

let expressKit = null;

/**
 * Express, loaded on first use (a function that never looks at event.extensions does not pay for
 * it, nor does a worker's start): an app for its settings (query parser, trust proxy, JSON, ETag),
 * its request prototype, and its response functions (status, send, json, set, redirect...) over
 * WorkerResponse, as Express itself mixes them into http.ServerResponse.
 */
function loadExpress() {
  if (expressKit) return expressKit;
  const express = require('express');
  const app = express();
  class ExpressResponse extends WorkerResponse {}
  for (const name of Object.getOwnPropertyNames(express.response)) {
    Object.defineProperty(ExpressResponse.prototype, name, Object.getOwnPropertyDescriptor(express.response, name));
  }
  Object.defineProperty(ExpressResponse.prototype, 'app', { value: app, configurable: true, enumerable: true, writable: true });
  expressKit = { app, queryParser: app.get('query parser fn'), ExpressResponse };
  return expressKit;
}

/** An error like body-parser's, for a streamed body over REQ_MB_LIMIT. */
function tooLarge() {
  const err = new Error('request entity too large');
  err.status = 413;
  err.statusCode = 413;
  err.expose = true;
  err.type = 'entity.too.large';
  err.limit = config.maxBody;
  return err;
}

function hasBody(headers) {
  return headers['transfer-encoding'] !== undefined || !Number.isNaN(Number.parseInt(headers['content-length'], 10));
}

/** One invocation in this worker. */
class Invocation {
  constructor(id, request) {
    this.id = id;
    this.request = request;
    this.pending = []; // body chunks received before the request was built
    this.ended = !request.streamed;
    this.req = null;
    this.res = null;
    this.aborted = null; // the reason, once the main thread gave up on this invocation
    this.done = false;
  }

  post(message, transfer) {
    if (this.done) return;
    message.id = this.id;
    parentPort.postMessage(message, transfer);
  }

  /** Posts the last message of this invocation; the main thread frees its slot then. */
  finish(message, transfer) {
    if (this.done) return;
    this.post(message, transfer);
    this.done = true;
    invocations.delete(this.id);
  }

  /** Builds Express's request and response, on first use by the handler. */
  build() {
    if (this.req) return;
    const { app, queryParser, ExpressResponse } = loadExpress();
    const request = this.request;
    const req = new http.IncomingMessage(new Connection(request));
    req.method = request.method;
    req.url = request.url;
    req.originalUrl = request.url;
    req.baseUrl = '';
    req.httpVersion = request.httpVersion;
    [req.httpVersionMajor, req.httpVersionMinor] = request.httpVersion.split('.').map(Number);
    req.headers = request.headers;
    req.rawHeaders = request.rawHeaders;
    Object.setPrototypeOf(req, app.request);
    const res = new ExpressResponse(this, req);
    req.res = res;
    req.next = () => {};
    // Kubeless's app served everything with app.all('*'), so params[0] is the path.
    req.params = { 0: req.path };
    req.query = queryParser(new URL(request.url, 'http://localhost').search.slice(1));
    req.body = this.bodyValue;
    // Kubeless's raw body parser had consumed a non-multipart body into req.body: tell
    // body-parser middleware so; the body stays readable from the stream as well.
    if (!request.streamed && hasBody(request.headers)) req._body = true;
    // An error on the stream (body too large, client gone) must not take the worker down when the
    // handler does not listen for it.
    req.on('error', () => {});
    this.req = req;
    this.res = res;
    if (this.body && this.body.length > 0) req.push(this.body);
    for (const chunk of this.pending) req.push(chunk);
    this.pending = null;
    if (this.aborted) {
      this.stop();
    } else if (this.ended) {
      req.complete = true;
      req.push(null);
    }
  }

  data(chunk) {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.req) this.req.push(buffer);
    else this.pending.push(buffer);
  }

  end() {
    this.ended = true;
    if (this.req) {
      this.req.complete = true;
      this.req.push(null);
    }
  }

  abortError() {
    return this.aborted === 'tooLarge' ? tooLarge() : Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  }

  /**
   * The main thread gave up on the answer: the body was over REQ_MB_LIMIT, or the client left. The
   * handler sees its request stream fail and its response destroyed (at once, or when it first asks
   * for them), and the invocation ends there: its slot and its timeout clock are released. A
   * handler that has not asked for them when its client left runs to its end (or until it asks),
   * its answer dropped.
   */
  abort(reason) {
    if (this.done) return;
    this.aborted = reason;
    if (this.req || reason === 'tooLarge') this.stop();
  }

  stop() {
    if (this.req && !this.req.complete) this.req.destroy(this.abortError());
    if (this.res && !this.res.destroyed) this.res.destroy();
    this.finish({ type: 'fail' });
  }

  /** The handler returned `result` (or its promise resolved to it). */
  answer(result) {
    const res = this.res;
    if (res && (res.writableEnded || res.destroyed)) return; // answered through the response
    if (res && res.headersSent) {
      // Part of the answer was written already: the value is its last chunk.
      res.end(encode(result).body);
      return;
    }
    const reply = encode(result);
    if (res) {
      reply.status = res.statusCode;
      reply.statusMessage = res.statusMessage;
      reply.headers = [...res.fields.values()];
      res.headersSent = true;
    }
    const transfer = reply.body instanceof Uint8Array && reply.body.byteLength === reply.body.buffer.byteLength ? [reply.body.buffer] : undefined;
    this.finish({ type: 'reply', reply }, transfer);
    if (res) res.destroy();
  }

  fail(err) {
    // The stack names the error and where it happened; the request body is never logged.
    logError(`Function ${config.modName}.${config.handler} failed: ${describe(err)}`);
    if (this.res && this.res.headersSent) {
      this.finish({ type: 'fail' });
      this.res.destroy();
    } else {
      this.finish({ type: 'reply', reply: { status: 500, type: TEXT, body: 'Internal Server Error' } });
    }
  }
}

const kInvocation = Symbol('invocation');

/** event.extensions: Express's request and response, built when the handler first asks. */
class Extensions {
  constructor(invocation) {
    this[kInvocation] = invocation;
  }

  get request() {
    const invocation = this[kInvocation];
    invocation.build();
    return invocation.req;
  }

  get response() {
    const invocation = this[kInvocation];
    invocation.build();
    return invocation.res;
  }

  [inspect.custom]() {
    return '{ request: [Express request], response: [Express response] }';
  }
}

function encode(result) {
  if (result === undefined) return { status: 200, type: TEXT, body: '' };
  if (typeof result === 'string') return { status: 200, type: TEXT, body: result };
  if (result instanceof Uint8Array) return { status: 200, type: 'application/octet-stream', body: result };
  return { status: 200, type: 'application/json', body: JSON.stringify(result) };
}

/** event.data as Kubeless made it, or a reply when the body cannot be parsed. */
function dataOf(invocation) {
  const { request } = invocation;
  const headers = request.headers;
  if (request.streamed || !hasBody(headers)) {
    // Kubeless's body parser left req.body an empty object for a multipart body (a middleware such
    // as multer reads it from the stream) and for a request without a body.
    invocation.bodyValue = {};
    return { data: invocation.bodyValue };
  }
  const body = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
  invocation.body = body;
  invocation.bodyValue = body;
  if (body.length === 0) return { data: '' };
  if (isJson(headers['content-type'])) {
    try {
      return { data: JSON.parse(body.toString('utf8')) };
    } catch (err) {
      return { reply: { status: 400, type: TEXT, body: 'Invalid JSON body' } };
    }
  }
  return { data: isUtf8(body) ? body.toString('utf8') : body };
}

function run(handler, invocation) {
  const { data, reply } = dataOf(invocation);
  if (reply) {
    invocation.finish({ type: 'reply', reply });
    return;
  }
  const headers = invocation.request.headers;
  const extensions = new Extensions(invocation);
  const event = {
    data,
    'event-id': headers['event-id'] || randomUUID(),
    'event-type': headers['event-type'] || headers['content-type'] || 'application/octet-stream',
    'event-time': headers['event-time'] || new Date().toISOString(),
    'event-namespace': headers['event-namespace'] || 'http.kubeless.io',
    extensions,
  };
  // As in Kubeless, the return value is looked at once the promise of it resolved (a microtask
  // later for a plain value): if the handler has ended the response by then, that was the answer.
  let result;
  try {
    result = handler(event, context);
  } catch (err) {
    invocation.fail(err);
    return;
  }
  Promise.resolve(result).then((value) => {
    try {
      invocation.answer(value);
    } catch (err) {
      invocation.fail(err); // e.g. a value JSON cannot encode
    }
  }, (err) => invocation.fail(err));
}

// A promise the function forgot must not take the worker (and the invocations after it) down.
process.on('unhandledRejection', (err) => logError(`Unhandled rejection in ${config.modName}: ${describe(err)}`));

const invocations = new Map();

const { handler, error } = load();
if (error) {
  parentPort.postMessage({ type: 'loadError', message: error });
} else {
  parentPort.on('message', (message) => {
    if (message.type === 'invoke') {
      const invocation = new Invocation(message.id, message.request);
      invocations.set(message.id, invocation);
      parentPort.postMessage({ type: 'start', id: message.id });
      run(handler, invocation);
      return;
    }
    const invocation = invocations.get(message.id);
    if (!invocation) return;
    if (message.type === 'data') invocation.data(message.chunk);
    else if (message.type === 'end') invocation.end();
    else if (message.type === 'written') invocation.res.written(message.bytes);
    else if (message.type === 'abort') invocation.abort(message.reason);
  });
  parentPort.postMessage({ type: 'ready' });
}
