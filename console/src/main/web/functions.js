// The functions: their list with status, and the form that creates or edits one.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { stringify } from 'yaml';
import { ApiError, del, fnPath, get, put, resourcePath } from './api.js';
import { Editor, languageOf } from './editor.js';
import { Review } from './diff.js';
import { FileTree, unzipFiles, zipFiles } from './files.js';
import { Confirm, formatPairs, Heading, Message, parsePairs } from './ui.js';
import { functionStatus as status } from './status.js';

/** Ready replicas: a cluster's count; local mode runs one process per function. */
function replicas(running) {
  if (!running) return '0';
  if (running.replicas != null) return String(running.replicas);
  return running.ready ? '1' : '0';
}

export function FunctionsPage() {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [deleting, setDeleting] = useState(null);

  async function load() {
    try {
      const [running, defs] = await Promise.all([get('functions'), get(resourcePath('functions'))]);
      const byKey = new Map(running.map((f) => [`${f.namespace}/${f.name}`, f]));
      const all = defs.map((d) => ({ def: d, running: byKey.get(`${d.namespace}/${d.name}`) }));
      for (const f of running) {
        if (!defs.some((d) => d.namespace === f.namespace && d.name === f.name)) {
          all.push({ def: { namespace: f.namespace, name: f.name }, running: f });
        }
      }
      setRows(all);
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }

  useEffect(() => {
    load();
    const t = setInterval(load, 2000); // readiness changes as processes start
    return () => clearInterval(t);
  }, []);

  async function remove() {
    const d = deleting;
    setDeleting(null);
    try {
      await del(resourcePath('functions', d.namespace, d.name));
      setNotice(`Function ${d.name} deleted.`);
      load();
    } catch (e) {
      setError(e.message);
    }
  }

  return html`
    <${Heading}>Functions<//>
    <p><a class="button" href="#/functions/new">New function</a></p>
    <${Message} error=${error} notice=${notice} />
    ${rows === null
      ? html`<p>Loading…</p>`
      : rows.length === 0
        ? html`<p>No functions yet.</p>`
        : html`
          <table>
            <caption class="visually-hidden">Functions and their status</caption>
            <thead><tr>
              <th scope="col">Name</th><th scope="col">Namespace</th><th scope="col">Status</th>
              <th scope="col">Reason</th><th scope="col">Ready replicas</th>
              <th scope="col">Runtime</th><th scope="col">URL</th>
              <th scope="col">Defined in</th><th scope="col">Actions</th>
            </tr></thead>
            <tbody>
              ${rows.map(({ def, running }) => {
                const s = status(running, def);
                const runtime = running?.runtime ?? def.resource?.spec?.runtime ?? '';
                const base = `#/functions/${encodeURIComponent(def.namespace)}/${encodeURIComponent(def.name)}`;
                return html`
                  <tr data-function=${def.name}>
                    <th scope="row">${def.name}</th>
                    <td>${def.namespace}</td>
                    <td><span class=${s.ok ? 'badge ok' : 'badge'}>${s.text}</span></td>
                    <td>${s.reason}</td>
                    <td>${replicas(running)}</td>
                    <td>${runtime}</td>
                    <td>${running?.url ? html`<code>${running.url}</code>` : ''}</td>
                    <td>${def.source === 'cluster' ? 'the cluster' : def.applied ? 'console / CLI' : def.file ?? ''}</td>
                    <td class="actions">
                      <a href=${base + '/call'} aria-label=${'Call ' + def.name}>Call</a>
                      <a href=${base + '/logs'} aria-label=${'Logs of ' + def.name}>Logs</a>
                      <a href=${base + '/edit'} aria-label=${'Edit ' + def.name}>Edit</a>
                      <button type="button" class="link danger" aria-label=${'Delete ' + def.name}
                        onClick=${() => setDeleting(def)}>Delete</button>
                    </td>
                  </tr>`;
              })}
            </tbody>
          </table>`}
    <${Confirm} open=${!!deleting} title=${`Delete function ${deleting?.name ?? ''}?`} action="Delete"
      onConfirm=${remove} onCancel=${() => setDeleting(null)}>
      ${deleting?.source === 'cluster'
        ? 'Kubernetes removes its Deployment, Service and autoscaler with it.'
        : 'Its process stops and its file in .kubeless/applied is removed.'}
    <//>
  `;
}

const TEMPLATES = {
  python: 'def handler(event, context):\n    return "hello " + str(event["data"])\n',
  nodejs: "module.exports = {\n  handler: (event, context) => 'hello ' + JSON.stringify(event.data),\n};\n",
  ruby: "def handler(event, context)\n  \"hello #{event['data']}\"\nend\n",
  php: '<?php\n\nfunction handler($event, $context) {\n  return "hello";\n}\n',
  go: 'package kubeless\n\nimport "github.com/kubeless/kubeless/pkg/functions"\n\nfunc Handler(event functions.Event, context functions.Context) (string, error) {\n\treturn "hello " + event.Data, nil\n}\n',
  java: 'package io.kubeless;\n\nimport io.kubeless.Event;\nimport io.kubeless.Context;\n\npublic class Foo {\n    public String foo(io.kubeless.Event event, io.kubeless.Context context) {\n        return "hello " + event.Data;\n    }\n}\n',
};
const HANDLERS = { python: 'hello.handler', nodejs: 'hello.handler', ruby: 'hello.handler', php: 'hello.handler', go: 'hello.Handler', java: 'Foo.foo' };

function decodeCode(spec) {
  const type = spec?.['function-content-type'] ?? 'text';
  if (type === 'base64+zip') {
    try {
      return { code: '', editable: false, files: unzipFiles(spec.function ?? '') };
    } catch {
      return { code: '', editable: false };
    }
  }
  if (type === 'text') return { code: spec?.function ?? '', editable: true };
  if (type === 'base64') {
    try {
      const bytes = Uint8Array.from(atob(spec.function ?? ''), (c) => c.charCodeAt(0));
      return { code: new TextDecoder('utf-8', { fatal: true }).decode(bytes), editable: true };
    } catch {
      return { code: '', editable: false };
    }
  }
  return { code: '', editable: false };
}

export function FunctionEditPage({ ns, name }) {
  const editing = !!name;
  const [runtimes, setRuntimes] = useState([]);
  const [form, setForm] = useState({
    name: '',
    namespace: 'default',
    runtime: 'python3.12',
    handler: 'hello.handler',
    code: TEMPLATES.python,
    deps: '',
    timeout: '180',
    labels: '',
  });
  const [original, setOriginal] = useState(null);
  const [editable, setEditable] = useState(true);
  const [tab, setTab] = useState('form');
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [saving, setSaving] = useState(false);
  const [files, setFiles] = useState(null); // a base64+zip function's files
  const [review, setReview] = useState(null); // the dry run's answer, before Apply

  useEffect(() => {
    get('runtimes').then(setRuntimes, (e) => setError(e.message));
    if (editing) {
      get(resourcePath('functions', ns, name)).then(
        (d) => {
          const f = d.resource;
          const { code, editable, files } = decodeCode(f.spec);
          setOriginal(f);
          setEditable(editable);
          setFiles(files ?? null);
          setForm({
            name: f.metadata.name,
            namespace: f.metadata.namespace ?? 'default',
            runtime: f.spec.runtime ?? '',
            handler: f.spec.handler ?? '',
            code,
            deps: f.spec.deps ?? '',
            timeout: f.spec.timeout ?? '180',
            labels: formatPairs(f.metadata.labels),
          });
          if (!d.applied) {
            setNotice(`Defined in ${d.file}: local mode never edits your files, edit it there.`);
          }
        },
        (e) => setError(e.message),
      );
    }
  }, []);

  const set = (field) => (e) => setForm({ ...form, [field]: e.target.value });
  const setRuntime = (e) => {
    const runtime = e.target.value;
    const next = { ...form, runtime };
    const was = languageOf(form.runtime);
    const now = languageOf(runtime);
    if (!editing && was !== now && form.code === TEMPLATES[was]) {
      next.code = TEMPLATES[now] ?? '';
      next.handler = HANDLERS[now] ?? form.handler;
    }
    setForm(next);
  };

  function resource() {
    const labels = parsePairs(form.labels);
    const base = original ?? { apiVersion: 'kubeless.io/v1beta1', kind: 'Function', metadata: {}, spec: {} };
    const spec = { ...base.spec, runtime: form.runtime, handler: form.handler, deps: form.deps, timeout: String(form.timeout) };
    if (editable) {
      spec.function = form.code;
      spec['function-content-type'] = 'text';
      delete spec.checksum;
    } else if (files) {
      spec.function = zipFiles(files);
      spec['function-content-type'] = 'base64+zip';
      delete spec.checksum;
    }
    if (!form.deps) delete spec.deps;
    return {
      apiVersion: base.apiVersion ?? 'kubeless.io/v1beta1',
      kind: 'Function',
      metadata: { ...base.metadata, name: form.name, namespace: form.namespace, labels: { ...labels } },
      spec,
    };
  }

  let yamlText = '';
  try {
    yamlText = stringify(resource());
  } catch (e) {
    yamlText = `# ${e.message}`;
  }

  // Save asks for a dry run first: the change is reviewed as a diff, then applied
  async function save(e) {
    e.preventDefault();
    setError(null);
    setNotice(null);
    setSaving(true);
    try {
      const r = resource();
      setReview(await put(resourcePath('functions', r.metadata.namespace, r.metadata.name) + '?dryRun=true', r));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : `Not saved: ${err.message}`);
    } finally {
      setSaving(false);
    }
  }

  async function apply() {
    setError(null);
    setSaving(true);
    try {
      const r = review.resource;
      const entry = await put(resourcePath('functions', r.metadata.namespace, r.metadata.name), r);
      setReview(null);
      setOriginal(entry.resource);
      const notes = (entry.notes || []).map((n) => ` Note: ${n}.`).join('');
      setNotice(`Function ${r.metadata.name} saved: local mode is (re)starting it.${notes}`);
      if (!editing) {
        location.hash = `#/functions/${encodeURIComponent(r.metadata.namespace)}/${encodeURIComponent(r.metadata.name)}/edit`;
      }
    } catch (err) {
      setError(err instanceof ApiError ? err.message : `Not saved: ${err.message}`);
    } finally {
      setSaving(false);
    }
  }

  const runtimeOptions = runtimes.some((r) => r.name === form.runtime) || !form.runtime
    ? runtimes
    : [...runtimes, { name: form.runtime, language: languageOf(form.runtime) }];

  return html`
    <${Heading}>${editing ? `Edit function ${name}` : 'New function'}<//>
    <${Message} error=${error} notice=${notice} />
    ${editing && html`<p class="links">
      <a href=${`#/functions/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/call`}>Call ${name}</a>
      <a href=${`#/functions/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/logs`}>Logs of ${name}</a>
    </p>`}
    <div role="tablist" aria-label="View" class="tabs">
      <button type="button" role="tab" id="tab-form" aria-controls="panel-form" aria-selected=${tab === 'form'}
        onClick=${() => setTab('form')}>Form</button>
      <button type="button" role="tab" id="tab-yaml" aria-controls="panel-yaml" aria-selected=${tab === 'yaml'}
        onClick=${() => setTab('yaml')}>YAML</button>
    </div>
    <form onSubmit=${save} aria-label="Function">
      <div role="tabpanel" id="panel-form" aria-labelledby="tab-form" hidden=${tab !== 'form'}>
        <div class="grid">
          <label>Name <input name="name" required pattern="[a-z0-9]([\\-a-z0-9]*[a-z0-9])?" value=${form.name}
            readOnly=${editing} onInput=${set('name')} /></label>
          <label>Namespace <input name="namespace" required value=${form.namespace} readOnly=${editing}
            onInput=${set('namespace')} /></label>
          <label>Runtime <select name="runtime" value=${form.runtime} onChange=${setRuntime}>
            ${runtimeOptions.map((r) => html`<option value=${r.name}>${r.name}${r.runs && r.runs !== r.name ? ` (runs on ${r.runs})` : ''}</option>`)}
          </select></label>
          <label>Handler <input name="handler" required value=${form.handler} onInput=${set('handler')}
            aria-describedby="handler-help" /></label>
          <label>Timeout (seconds) <input name="timeout" type="number" min="1" value=${form.timeout}
            onInput=${set('timeout')} /></label>
        </div>
        <p id="handler-help" class="help">The handler is <code>module.function</code>: the code is saved as that module.</p>
        <div class="field">
          <span id="code-label" class="label">Code</span>
          ${editable
            ? html`<${Editor} id="code" label="Code" value=${form.code} language=${languageOf(form.runtime)}
                onChange=${(code) => setForm((f) => ({ ...f, code }))} />`
            : files
              ? html`<${FileTree} files=${files} onChange=${setFiles} runtime=${form.runtime} />`
              : html`<p>This function's code is an archive local mode cannot open here: edit it in its files, or as YAML with the CLI.</p>`}
        </div>
        <div class="grid two">
          <label>Dependencies (requirements.txt, package.json, ...)
            <textarea name="deps" rows="4" value=${form.deps} onInput=${set('deps')}></textarea></label>
          <label>Labels (one <code>key=value</code> a line)
            <textarea name="labels" rows="4" value=${form.labels} onInput=${set('labels')}></textarea></label>
        </div>
      </div>
      <div role="tabpanel" id="panel-yaml" aria-labelledby="tab-yaml" hidden=${tab !== 'yaml'}>
        <p class="help">What Save applies (read-only here; kubectl apply -f takes it as it is).</p>
        <pre class="yaml" tabindex="0" aria-label="Function as YAML">${yamlText}</pre>
      </div>
      <p><button type="submit" class="primary" disabled=${saving}>${editing ? 'Save' : 'Create'}</button></p>
    </form>
    ${review && html`<${Review} review=${review} busy=${saving} onApply=${apply} onBack=${() => setReview(null)} />`}
  `;
}
