'use strict';

// A worker thread of the Node.js runtime: loads the function once, then runs one invocation per
// message from the main thread (kubeless.js), many at once, and posts back when each handler starts
// (the main thread's timeout clock starts then) and its encoded result.

const path = require('node:path');
const { isUtf8 } = require('node:buffer');
const { randomUUID } = require('node:crypto');
const { parentPort, workerData: config } = require('node:worker_threads');

const context = {
  'function-name': config.handler,
  timeout: config.timeout,
  runtime: config.runtime,
  'memory-limit': config.memoryLimit,
};
const TEXT = 'text/plain; charset=utf-8';

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

/** The HTTP request as event.extensions.request, with the parts of Express's request functions use. */
function requestOf(message, body) {
  const url = new URL(message.url, 'http://localhost');
  return {
    method: message.method,
    url: message.url,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: message.headers,
    body,
    get: (name) => message.headers[name.toLowerCase()],
  };
}

function encode(result) {
  if (result === undefined) return { status: 200, type: TEXT, body: '' };
  if (typeof result === 'string') return { status: 200, type: TEXT, body: result };
  if (result instanceof Uint8Array) return { status: 200, type: 'application/octet-stream', body: result };
  return { status: 200, type: 'application/json', body: JSON.stringify(result) };
}

async function invoke(handler, message) {
  const body = Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength);
  const headers = message.headers;
  let data;
  if (body.length === 0) {
    data = '';
  } else if (isJson(headers['content-type'])) {
    try {
      data = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return { status: 400, type: TEXT, body: 'Invalid JSON body' };
    }
  } else {
    data = isUtf8(body) ? body.toString('utf8') : body;
  }
  const event = {
    data,
    'event-id': headers['event-id'] || randomUUID(),
    'event-type': headers['event-type'] || headers['content-type'] || 'application/octet-stream',
    'event-time': headers['event-time'] || new Date().toISOString(),
    'event-namespace': headers['event-namespace'] || 'http.kubeless.io',
    extensions: { request: requestOf(message, body) },
  };
  try {
    return encode(await handler(event, context));
  } catch (err) {
    // The stack names the error and where it happened; the request body is never logged.
    console.error(`${new Date().toISOString()} Function ${config.modName}.${config.handler} failed: ${err && err.stack ? err.stack : err}`);
    return { status: 500, type: TEXT, body: 'Internal Server Error' };
  }
}

// A promise the function forgot must not take the worker (and the invocations after it) down.
process.on('unhandledRejection', (err) => console.error(`Unhandled rejection in ${config.modName}: ${err && err.stack ? err.stack : err}`));

const { handler, error } = load();
if (error) {
  parentPort.postMessage({ type: 'loadError', message: error });
} else {
  parentPort.on('message', ({ id, request }) => {
    parentPort.postMessage({ type: 'start', id });
    invoke(handler, request).then((reply) => parentPort.postMessage({ type: 'reply', id, reply }));
  });
  parentPort.postMessage({ type: 'ready' });
}
