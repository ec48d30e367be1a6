// The admin API, relative to the page (local mode serves both on one origin).

/** An error the API answered with (its JSON `error`), or a network failure. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, body, type) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = type ?? 'application/json';
  }
  const r = await fetch('api/' + path, init);
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (r.status === 401 && path !== 'login') {
    // a console on a cluster, not logged in (local mode never answers 401): app.js shows the form
    dispatchEvent(new Event('kubeless-unauthorized'));
  }
  if (!r.ok) {
    throw new ApiError(r.status, json?.error ?? `${r.status} ${r.statusText}`);
  }
  return json;
}

export const get = (path) => request('GET', path);
export const put = (path, body, type) => request('PUT', path, body, type);
export const post = (path, body, type) => request('POST', path, body, type);
export const del = (path) => request('DELETE', path);

const seg = encodeURIComponent;
export const fnPath = (ns, name) => `functions/${seg(ns)}/${seg(name)}`;
export const resourcePath = (plural, ns, name) =>
  `resources/${seg(plural)}` + (name ? `/${seg(ns)}/${seg(name)}` : '');

/** The trigger kinds: kind, plural, and the field a list shows. */
export const TRIGGER_KINDS = [
  { kind: 'HTTPTrigger', plural: 'httptriggers', label: 'HTTP' },
  { kind: 'CronJobTrigger', plural: 'cronjobtriggers', label: 'Cron' },
  { kind: 'KafkaTrigger', plural: 'kafkatriggers', label: 'Kafka', publish: 'kafka' },
  { kind: 'NATSTrigger', plural: 'natstriggers', label: 'NATS', publish: 'nats' },
  { kind: 'KinesisTrigger', plural: 'kinesistriggers', label: 'Kinesis' },
];
