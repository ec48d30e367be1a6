// Calls a function through the admin API: method, headers, query, body; the answer with its
// status, headers and timing; the same request as a curl command line to the function's own URL.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fnPath, get } from './api.js';
import { Heading, Message, parsePairs } from './ui.js';

const METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'];
const quote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

export function curlOf(url, { method, headers, query, body }) {
  const q = query.replace(/^\?/, '');
  const parts = ['curl', '-i', '-X', method, quote(url + (q ? '?' + q : ''))];
  for (const [k, v] of Object.entries(headers)) parts.push('-H', quote(`${k}: ${v}`));
  if (body && method !== 'GET') parts.push('--data-raw', quote(body));
  return parts.join(' ');
}

export function CallPage({ ns, name }) {
  const [fn, setFn] = useState(null);
  const [method, setMethod] = useState('POST');
  const [headers, setHeaders] = useState('Content-Type: application/json');
  const [query, setQuery] = useState('');
  const [body, setBody] = useState('{"name": "console"}');
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [curl, setCurl] = useState('');

  useEffect(() => {
    get(fnPath(ns, name)).then(setFn, (e) => setError(e.message));
  }, []);

  function request() {
    return { method, headers: parsePairs(headers, ':'), query, body };
  }

  async function send(e) {
    e.preventDefault();
    setError(null);
    let r;
    try {
      r = request();
    } catch (err) {
      setError(`Headers: ${err.message}`);
      return;
    }
    setBusy(true);
    const started = performance.now();
    try {
      const q = r.query.replace(/^\?/, '');
      const res = await fetch(`api/${fnPath(ns, name)}/call${q ? '?' + q : ''}`, {
        method: r.method,
        headers: r.headers,
        body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body,
      });
      const text = await res.text();
      const ms = performance.now() - started;
      setAnswer({ status: res.status, statusText: res.statusText, headers: [...res.headers], body: text, ms });
    } catch (err) {
      setError(`The call failed: ${err.message}`);
    } finally {
      setBusy(false);
    }
  }

  async function copyCurl() {
    let r;
    try {
      r = request();
    } catch (err) {
      setError(`Headers: ${err.message}`);
      return;
    }
    const text = curlOf(fn?.url ?? '', r);
    setCurl(text);
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // shown below to copy by hand
    }
  }

  return html`
    <${Heading}>Call ${name}<//>
    <p class="links">
      <a href=${`#/functions/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/logs`}>Logs of ${name}</a>
      <a href=${`#/functions/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/edit`}>Edit ${name}</a>
    </p>
    ${fn && html`<p>Function URL: <code>${fn.url}</code> (${fn.ready ? 'ready' : 'not ready'})</p>`}
    <${Message} error=${error} />
    <form onSubmit=${send} aria-label="Request">
      <div class="grid">
        <label>Method <select name="method" value=${method} onChange=${(e) => setMethod(e.target.value)}>
          ${METHODS.map((m) => html`<option>${m}</option>`)}
        </select></label>
        <label>Query string <input name="query" value=${query} placeholder="a=1&b=2"
          onInput=${(e) => setQuery(e.target.value)} /></label>
      </div>
      <div class="grid two">
        <label>Headers (one <code>Name: value</code> a line)
          <textarea name="headers" rows="4" value=${headers} onInput=${(e) => setHeaders(e.target.value)}></textarea></label>
        <label>Body <textarea name="body" rows="6" value=${body} onInput=${(e) => setBody(e.target.value)}
          disabled=${method === 'GET'}></textarea></label>
      </div>
      <p class="buttons">
        <button type="submit" class="primary" disabled=${busy}>Send</button>
        <button type="button" onClick=${copyCurl}>Copy as curl</button>
      </p>
    </form>
    ${curl && html`<label class="field">curl command <textarea readonly rows="3" name="curl" value=${curl}></textarea></label>`}
    <section aria-labelledby="response-title" aria-live="polite" aria-busy=${busy}>
      <h2 id="response-title">Response</h2>
      ${answer
        ? html`
          <p><span class="status" data-status=${answer.status}>${answer.status} ${answer.statusText}</span>
            <span class="timing"> in ${answer.ms.toFixed(0)} ms</span></p>
          <details>
            <summary>Headers (${answer.headers.length})</summary>
            <dl class="headers">${answer.headers.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
          </details>
          <pre class="response" tabindex="0" aria-label="Response body">${answer.body}</pre>`
        : html`<p>No request sent yet.</p>`}
    </section>
  `;
}
