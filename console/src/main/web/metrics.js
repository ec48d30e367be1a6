// Metrics in the browser: the runtime's Prometheus text (counters and a histogram) sampled every
// few seconds, turned into rates and percentiles from the deltas between samples, and drawn as
// small inline SVG sparklines that carry their numbers as text.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { fnPath } from './api.js';

/** Prometheus text exposition to [{name, labels, value}] (comments and malformed lines skipped). */
export function parsePrometheus(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** One sample: totals summed over labels (method), and the histogram's cumulative buckets by `le`. */
export function sample(text, at = Date.now()) {
  const s = { at, calls: 0, failures: 0, buckets: new Map() };
  for (const { name, labels, value } of parsePrometheus(text)) {
    if (name === 'function_calls_total') s.calls += value;
    else if (name === 'function_failures_total') s.failures += value;
    else if (name === 'function_duration_seconds_bucket') {
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
      s.buckets.set(le, (s.buckets.get(le) ?? 0) + value);
    }
  }
  return s;
}

/**
 * The `q` quantile (0..1) of the durations observed between two samples, from the histogram's
 * bucket deltas (linear within a bucket, as Prometheus's histogram_quantile); null without calls.
 */
export function quantile(q, before, after) {
  const les = [...after.buckets.keys()].sort((a, b) => a - b);
  const delta = les.map((le) => Math.max(0, after.buckets.get(le) - (before.buckets.get(le) ?? 0)));
  const total = delta[delta.length - 1] ?? 0;
  if (!total) return null;
  const rank = q * total;
  for (let i = 0; i < les.length; i++) {
    if (delta[i] >= rank) {
      if (les[i] === Infinity) return i > 0 ? les[i - 1] : null;
      const lower = i > 0 ? les[i - 1] : 0;
      const below = i > 0 ? delta[i - 1] : 0;
      const inBucket = delta[i] - below;
      return inBucket > 0 ? lower + ((les[i] - lower) * (rank - below)) / inBucket : les[i];
    }
  }
  return null;
}

/** The points between consecutive samples: calls/s, failures/s, p50 and p95 in ms. */
export function points(samples) {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1], samples[i]];
    const secs = (b.at - a.at) / 1000;
    if (secs <= 0 || b.calls < a.calls) continue; // a restarted process starts from zero
    const ms = (v) => (v == null ? null : v * 1000);
    out.push({
      at: b.at,
      calls: (b.calls - a.calls) / secs,
      failures: (b.failures - a.failures) / secs,
      p50: ms(quantile(0.5, a, b)),
      p95: ms(quantile(0.95, a, b)),
    });
  }
  return out;
}

const fmt = (v, unit) => (v == null ? 'none' : `${v < 10 ? v.toFixed(2) : v.toFixed(0)}${unit}`);

/**
 * A sparkline: an inline SVG with a text alternative (its latest and highest values), and the latest
 * value as visible text beside it.
 */
export function Sparkline({ label, values, unit = '', span }) {
  const w = 120;
  const h = 28;
  const known = values.filter((v) => v != null);
  const max = Math.max(...known, 0);
  const latest = values.length ? values[values.length - 1] : null;
  const step = values.length > 1 ? (w - 4) / (values.length - 1) : 0;
  const x = (i) => (values.length > 1 ? 2 + i * step : w - 4);
  const y = (v) => h - 2 - (max ? (v / max) * (h - 4) : 0);
  const path = values
    .map((v, i) => (v == null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
    .filter(Boolean)
    .join(' ');
  const text = `${label}: latest ${fmt(latest, unit)}, highest ${fmt(known.length ? max : null, unit)}${span ? ` over ${span}` : ''}`;
  return html`
    <figure class="spark" data-metric=${label}>
      <figcaption>${label}</figcaption>
      <svg role="img" aria-label=${text} width=${w} height=${h} viewBox=${`0 0 ${w} ${h}`}>
        <title>${text}</title>
        <line x1="0" y1=${h - 1} x2=${w} y2=${h - 1} class="axis" />
        ${path && html`<polyline points=${path} />`}
        ${latest != null && html`<circle cx=${x(values.length - 1)} cy=${y(latest)} r="2.5" />`}
      </svg>
      <span class="latest">${fmt(latest, unit)}</span>
    </figure>
  `;
}

const EVERY = 3000;
const KEEP = 60; // three minutes

/** A function's calls/s, failures/s, p50 and p95, from its metrics polled every 3 s. */
export function FunctionMetrics({ ns, name }) {
  const [samples, setSamples] = useState([]);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stop = false;
    async function poll() {
      try {
        const r = await fetch(`api/${fnPath(ns, name)}/metrics`);
        if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
        const s = sample(await r.text());
        if (!stop) {
          setSamples((all) => [...all, s].slice(-KEEP));
          setError(null);
        }
      } catch (e) {
        if (!stop) setError(`Metrics not read: ${e.message}`);
      }
    }
    poll();
    const t = setInterval(poll, EVERY);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);
  const p = points(samples);
  const span = `the last ${Math.round((p.length * EVERY) / 1000)} s`;
  return html`
    <section aria-labelledby="metrics-title" class="metrics">
      <h2 id="metrics-title">Metrics</h2>
      <p class="help">Sampled every ${EVERY / 1000} s from the runtime's <code>/metrics</code>; ${samples.length} samples.
        ${error && html` <span class="error-text">${error}</span>`}</p>
      <div class="sparks">
        <${Sparkline} label="Calls/s" values=${p.map((x) => x.calls)} span=${span} />
        <${Sparkline} label="Failures/s" values=${p.map((x) => x.failures)} span=${span} />
        <${Sparkline} label="p50 duration" unit=" ms" values=${p.map((x) => x.p50)} span=${span} />
        <${Sparkline} label="p95 duration" unit=" ms" values=${p.map((x) => x.p95)} span=${span} />
      </div>
    </section>
  `;
}
