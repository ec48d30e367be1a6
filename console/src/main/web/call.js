// Calls a function through the admin API: method, headers, query, body; the answer with its
// status, headers and timing; the same request as a curl command line to the function's own URL.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fnPath, get } from './api.js';
import { formatPairs, Heading, Message, parsePairs } from './ui.js';
import { FunctionMetrics } from './metrics.js';

/** Saved requests of a function, in this browser's localStorage: [{name, method, query, headers, body}]. */
const savedKey = (ns, name) => `kubeless.console.saved/${ns}/${name}`;
function loadSaved(ns, name) {
  try {
    const all = JSON.parse(localStorage.getItem(savedKey(ns, name)) ?? '[]');
    return Array.isArray(all) ? all : [];
  } catch {
    return [];
  }
}
const storeSaved = (ns, name, all) => localStorage.setItem(savedKey(ns, name), JSON.stringify(all));

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
  const [file, setFile] = useState(null); // a body from a file: sent as its bytes, with its type
  const [saved, setSaved] = useState(() => loadSaved(ns, name));
  const [saveName, setSaveName] = useState('');
  const [chosen, setChosen] = useState('');
  const [notice, setNotice] = useState(null);

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
      const headers = { ...r.headers };
      if (file && file.type && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['Content-Type'] = file.type;
      }
      const res = await fetch(`api/${fnPath(ns, name)}/call${q ? '?' + q : ''}`, {
        method: r.method,
        headers,
        body: r.method === 'GET' || r.method === 'HEAD' ? undefined : file ? await file.arrayBuffer() : r.body,
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

  function saveRequest() {
    const n = saveName.trim();
    if (!n) {
      setError('Name the request to save it.');
      return;
    }
    let r;
    try {
      r = request();
    } catch (err) {
      setError(`Headers: ${err.message}`);
      return;
    }
    const all = [...saved.filter((s) => s.name !== n), { name: n, ...r }].sort((a, b) => a.name.localeCompare(b.name));
    storeSaved(ns, name, all);
    setSaved(all);
    setChosen(n);
    setSaveName('');
    setError(null);
    setNotice(`Request "${n}" saved in this browser.`);
  }

  function loadRequest() {
    const s = saved.find((x) => x.name === chosen);
    if (!s) return;
    setMethod(s.method);
    setQuery(s.query ?? '');
    setHeaders(formatPairs(s.headers, ': '));
    setBody(s.body ?? '');
    setFile(null);
    setNotice(`Request "${s.name}" loaded.`);
  }

  function deleteRequest() {
    const all = saved.filter((x) => x.name !== chosen);
    storeSaved(ns, name, all);
    setSaved(all);
    setNotice(`Request "${chosen}" deleted.`);
    setChosen('');
  }

  async function copyCurl() {
    let r;
    try {
      r = request();
    } catch (err) {
      setError(`Headers: ${err.message}`);
      return;
    }
    const text = file
      ? curlOf(fn?.url ?? '', { ...r, body: '' }) + ` --data-binary ${quote('@' + file.name)}` +
        (file.type && !Object.keys(r.headers).some((h) => h.toLowerCase() === 'content-type') ? ` -H ${quote('Content-Type: ' + file.type)}` : '')
      : curlOf(fn?.url ?? '', r);
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
    <${Message} error=${error} notice=${notice} />
    <section class="panel saved" aria-labelledby="saved-title">
      <h2 id="saved-title">Saved requests</h2>
      <div class="grid">
        <div><label for="saved">Saved request</label>
          <select id="saved" name="saved" value=${chosen} onChange=${(e) => setChosen(e.target.value)}>
            <option value="">${saved.length ? 'Choose one' : 'None saved yet'}</option>
            ${saved.map((s) => html`<option value=${s.name}>${s.name}</option>`)}
          </select></div>
        <p class="buttons">
          <button type="button" onClick=${loadRequest} disabled=${!chosen}>Load</button>
          <button type="button" class="danger" onClick=${deleteRequest} disabled=${!chosen}>Delete saved</button>
        </p>
        <label>Save this request as <input name="save-name" value=${saveName} onInput=${(e) => setSaveName(e.target.value)} /></label>
        <p class="buttons"><button type="button" onClick=${saveRequest}>Save request</button></p>
      </div>
    </section>
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
        <div>
          <label>Body <textarea name="body" rows="6" value=${body} onInput=${(e) => setBody(e.target.value)}
            disabled=${method === 'GET' || !!file}></textarea></label>
          <label>Body from a file <input type="file" name="body-file"
            onChange=${(e) => setFile(e.target.files?.[0] ?? null)} disabled=${method === 'GET'} /></label>
          ${file && html`<p class="help" id="file-body">Sending ${file.name} (${file.size} bytes, ${file.type || 'no type'}) as the body.
            <button type="button" class="link" onClick=${(e) => {
              setFile(null);
              e.target.closest('div').querySelector('input[type=file]').value = '';
            }}>Use the text body</button></p>`}
        </div>
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
    <${FunctionMetrics} ns=${ns} name=${name} />
  `;
}
