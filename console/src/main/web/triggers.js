// The triggers of all five kinds: their state from the engine, created and edited as YAML, deleted
// after a confirmation, and for Kafka and NATS a test message published to their topic.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { parse, stringify } from 'yaml';
import { del, get, post, put, resourcePath, TRIGGER_KINDS } from './api.js';
import { Editor } from './editor.js';
import { Confirm, Heading, Message } from './ui.js';
import { Review } from './diff.js';
import { Sparkline } from './metrics.js';

const KEEP = 90; // three minutes of 2 s samples

/** Each binding's samples ({at, events, failures, lag}), by kind/namespace/trigger/function. */
function remember(history, states, at) {
  for (const t of states) {
    for (const f of t.functions ?? []) {
      const key = `${t.kind}/${t.namespace}/${t.name}/${f.function}`;
      const all = history.get(key) ?? [];
      all.push({ at, events: f.events ?? 0, failures: f.failures ?? 0, lag: f.lag ?? null });
      history.set(key, all.slice(-KEEP));
    }
  }
}

/** Rates per second between samples (a counter that went back, a restart, counts from zero). */
function rates(samples, field) {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const d = samples[i][field] - samples[i - 1][field];
    const secs = (samples[i].at - samples[i - 1].at) / 1000;
    out.push(secs > 0 ? Math.max(0, d) / secs : 0);
  }
  return out;
}

function BindingMetrics({ trigger, fn, samples }) {
  const last = samples[samples.length - 1] ?? {};
  const span = `the last ${Math.round(((samples.length - 1) * 2000) / 1000)} s`;
  return html`
    <div class="sparks small" aria-label=${`Metrics of ${trigger} for ${fn}`} role="group">
      <span class="totals">events ${fn.events ?? 0}, failures ${fn.failures ?? 0}, lag ${fn.lag ?? 'unknown'}</span>
      <${Sparkline} label="Events/s" values=${rates(samples, 'events')} span=${span} />
      <${Sparkline} label="Failures/s" values=${rates(samples, 'failures')} span=${span} />
      <${Sparkline} label="Lag" values=${samples.map((x) => x.lag)} span=${span} />
    </div>
  `;
}

const byKind = Object.fromEntries(TRIGGER_KINDS.map((k) => [k.kind, k]));

function where(kind, spec) {
  switch (kind) {
    case 'HTTPTrigger': return `${spec?.['host-name'] ?? ''}${spec?.path ? '/' + spec.path.replace(/^\//, '') : '/'}`;
    case 'CronJobTrigger': return spec?.schedule ?? '';
    case 'KinesisTrigger': return spec?.stream ?? '';
    default: return spec?.topic ?? '';
  }
}

function bound(spec) {
  if (spec?.['function-name']) return spec['function-name'];
  const sel = spec?.functionSelector?.matchLabels;
  return sel ? Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',') : '';
}

export function TriggersPage() {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const [publishing, setPublishing] = useState(null);
  const history = useRef(new Map());

  async function load() {
    try {
      const [states, ...defs] = await Promise.all([
        get('triggers'),
        ...TRIGGER_KINDS.map((k) => get(resourcePath(k.plural))),
      ]);
      remember(history.current, states, Date.now());
      const all = defs.flat().map((d) => ({
        def: d,
        state: states.find((s) => s.kind === d.kind && s.namespace === d.namespace && s.name === d.name),
      }));
      setRows(all);
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }

  useEffect(() => {
    load();
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, []);

  async function remove() {
    const d = deleting;
    setDeleting(null);
    try {
      await del(resourcePath(byKind[d.kind].plural, d.namespace, d.name));
      setNotice(`${d.kind} ${d.name} deleted.`);
      load();
    } catch (e) {
      setError(e.message);
    }
  }

  return html`
    <${Heading}>Triggers<//>
    <p><a class="button" href="#/triggers/new">New trigger</a></p>
    <${Message} error=${error} notice=${notice} />
    ${rows === null
      ? html`<p>Loading…</p>`
      : rows.length === 0
        ? html`<p>No triggers yet.</p>`
        : html`
          <table>
            <caption class="visually-hidden">Triggers and their state</caption>
            <thead><tr>
              <th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Namespace</th>
              <th scope="col">Source</th><th scope="col">Functions</th><th scope="col">State</th>
              <th scope="col">Defined in</th><th scope="col">Actions</th>
            </tr></thead>
            <tbody>
              ${rows.map(({ def, state }) => {
                const k = byKind[def.kind];
                const spec = def.resource?.spec;
                const fns = state?.functions ?? [];
                return html`
                  <tr data-trigger=${def.name} data-kind=${def.kind}>
                    <th scope="row">${def.name}</th>
                    <td>${k?.label ?? def.kind}</td>
                    <td>${def.namespace}</td>
                    <td><code>${where(def.kind, spec)}</code></td>
                    <td>${bound(spec)}</td>
                    <td class="state">
                      ${state?.problem && html`<span class="badge">${state.problem}</span>`}
                      ${fns.length === 0 && !state?.problem ? (state ? 'no function bound' : 'not running') : ''}
                      <ul class="plain">${fns.map((f) => html`<li data-binding=${f.function}>${f.function}: <span class=${f.phase === 'ACTIVE' ? 'badge ok' : 'badge'}>${f.phase ?? '?'}</span>${f.reason ? ` (${f.reason})` : ''}
                        <${BindingMetrics} trigger=${def.name} fn=${f}
                          samples=${history.current.get(`${def.kind}/${def.namespace}/${def.name}/${f.function}`) ?? []} /></li>`)}</ul>
                    </td>
                    <td>${def.applied ? 'console / CLI' : def.file}</td>
                    <td class="actions">
                      <a href=${`#/triggers/${k.plural}/${encodeURIComponent(def.namespace)}/${encodeURIComponent(def.name)}/edit`}
                        aria-label=${'Edit ' + def.name}>Edit</a>
                      ${k.publish && html`<button type="button" class="link" aria-label=${'Publish to ' + def.name}
                        onClick=${() => setPublishing({ def, kind: k, topic: spec?.topic ?? '' })}>Publish</button>`}
                      <button type="button" class="link danger" aria-label=${'Delete ' + def.name}
                        onClick=${() => setDeleting(def)}>Delete</button>
                    </td>
                  </tr>`;
              })}
            </tbody>
          </table>`}
    ${publishing && html`<${Publish} key=${publishing.def.kind + publishing.def.name} target=${publishing}
      onDone=${(n) => setNotice(n)} onClose=${() => setPublishing(null)} />`}
    <${Confirm} open=${!!deleting} title=${`Delete ${deleting?.kind ?? ''} ${deleting?.name ?? ''}?`} action="Delete"
      onConfirm=${remove} onCancel=${() => setDeleting(null)}>
      Its subscriptions stop and its file in .kubeless/applied is removed.
    <//>
  `;
}

function Publish({ target, onClose }) {
  const nats = target.kind.publish === 'nats';
  const [topic, setTopic] = useState(nats ? target.topic.replace(/\.>$/, '.test').replace(/\*/g, 'test') : target.topic.split(',')[0]);
  const [message, setMessage] = useState('{"name": "console"}');
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [peeked, setPeeked] = useState(null);
  async function peek() {
    setError(null);
    try {
      setPeeked(await get(`peek/${target.kind.publish}/${encodeURIComponent(topic)}?limit=20`));
    } catch (err) {
      setPeeked(null);
      setError(err.message);
    }
  }
  async function send(e) {
    e.preventDefault();
    setError(null);
    setNotice(null);
    try {
      const r = await post(`publish/${target.kind.publish}/${encodeURIComponent(topic)}`, message, 'text/plain; charset=utf-8');
      setNotice(nats ? `Published to ${r.subject}.` : `Published to ${r.topic}, partition ${r.partition}, offset ${r.offset}.`);
    } catch (err) {
      setError(err.message);
    }
  }
  return html`
    <section class="panel" aria-labelledby="publish-title">
      <h2 id="publish-title">Publish a test message for ${target.def.name}</h2>
      <form onSubmit=${send} aria-label="Test message">
        <div class="grid two">
          <label>${nats ? 'Subject' : 'Topic'} <input name="topic" required value=${topic} onInput=${(e) => setTopic(e.target.value)} /></label>
          <label>Message <textarea name="message" rows="3" value=${message} onInput=${(e) => setMessage(e.target.value)}></textarea></label>
        </div>
        <${Message} error=${error} notice=${notice} />
        <p class="buttons"><button type="submit" class="primary">Publish</button>
          <button type="button" onClick=${peek}>Peek</button>
          <button type="button" onClick=${onClose}>Close</button></p>
      </form>
      ${peeked && html`
        <table class="peek">
          <caption>Latest ${peeked.messages.length} messages on ${peeked.topic ?? peeked.subject}${peeked.stream ? ` (stream ${peeked.stream})` : ''}, newest last</caption>
          <thead><tr>
            ${nats ? html`<th scope="col">Sequence</th><th scope="col">Subject</th>` : html`<th scope="col">Partition</th><th scope="col">Offset</th><th scope="col">Key</th>`}
            <th scope="col">Time</th><th scope="col">Value</th>
          </tr></thead>
          <tbody>${peeked.messages.map((m) => html`<tr>
            ${nats ? html`<td>${m.sequence}</td><td>${m.subject}</td>` : html`<td>${m.partition}</td><td>${m.offset}</td><td>${m.key ?? ''}</td>`}
            <td>${m.timestamp}</td><td><code>${m.value}</code>${m.encoding === 'base64' ? ' (base64)' : ''}</td></tr>`)}</tbody>
        </table>`}
    </section>
  `;
}

const TEMPLATES = {
  KafkaTrigger: { spec: { topic: 'orders', functionSelector: { matchLabels: { app: 'hello' } } } },
  NATSTrigger: { spec: { topic: 'orders.>', functionSelector: { matchLabels: { app: 'hello' } } } },
  HTTPTrigger: { spec: { 'function-name': 'hello', path: 'hello', gateway: 'builtin' } },
  CronJobTrigger: { spec: { 'function-name': 'hello', schedule: '*/5 * * * *' } },
  KinesisTrigger: { spec: { 'function-name': 'hello', stream: 'orders', 'aws-region': 'us-east-1', endpoint: 'http://127.0.0.1:4567' } },
};
const template = (kind) =>
  stringify({ apiVersion: 'kubeless.io/v1beta1', kind, metadata: { name: 'my-trigger', namespace: 'default' }, ...TEMPLATES[kind] });

export function TriggerEditPage({ plural, ns, name }) {
  const editing = !!name;
  const [kind, setKind] = useState(TRIGGER_KINDS.find((k) => k.plural === plural)?.kind ?? 'KafkaTrigger');
  const [text, setText] = useState(editing ? '' : template('KafkaTrigger'));
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [review, setReview] = useState(null);

  useEffect(() => {
    if (editing) {
      get(resourcePath(plural, ns, name)).then(
        (d) => {
          setText(stringify(d.resource));
          if (!d.applied) setNotice(`Defined in ${d.file}: local mode never edits your files, edit it there.`);
        },
        (e) => setError(e.message),
      );
    }
  }, []);

  function chooseKind(e) {
    setKind(e.target.value);
    setText(template(e.target.value));
  }

  async function save(e) {
    e.preventDefault();
    setError(null);
    setNotice(null);
    let r;
    try {
      r = parse(text);
    } catch (err) {
      setError(`The YAML does not parse: ${err.message}`);
      return;
    }
    const k = byKind[r?.kind];
    if (!k) {
      setError(`kind must be one of ${TRIGGER_KINDS.map((t) => t.kind).join(', ')}`);
      return;
    }
    const rns = r.metadata?.namespace ?? 'default';
    const path = resourcePath(k.plural, rns, r.metadata?.name ?? '');
    try {
      // a dry run first: the change is reviewed as a diff, then applied
      setReview({ ...(await put(path + '?dryRun=true', text, 'application/yaml')), path, text, kind: r.kind, name: r.metadata.name });
    } catch (err) {
      setError(err.message);
    }
  }

  async function apply() {
    setError(null);
    try {
      await put(review.path, review.text, 'application/yaml');
      setNotice(`${review.kind} ${review.name} applied.`);
      setReview(null);
      if (!editing) location.hash = '#/triggers';
    } catch (err) {
      setError(err.message);
    }
  }

  return html`
    <${Heading}>${editing ? `Edit trigger ${name}` : 'New trigger'}<//>
    <${Message} error=${error} notice=${notice} />
    <form onSubmit=${save} aria-label="Trigger">
      ${!editing && html`<label>Kind <select name="kind" value=${kind} onChange=${chooseKind}>
        ${TRIGGER_KINDS.map((k) => html`<option value=${k.kind}>${k.kind}</option>`)}
      </select></label>`}
      <div class="field">
        <span class="label">YAML</span>
        <${Editor} id="trigger-yaml" label="Trigger YAML" value=${text} language="yaml" onChange=${setText} />
      </div>
      <p class="buttons"><button type="submit" class="primary">Review</button>
        <a href="#/triggers">Back to triggers</a></p>
    </form>
    ${review && html`<${Review} review=${review} onApply=${apply} onBack=${() => setReview(null)} />`}
  `;
}
