// The metrics arithmetic of metrics.js on the runtime's Prometheus text: node --test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheus, points, quantile, sample } from '../../main/web/metrics.js';

const text = (calls, failures, buckets) => `# HELP function_calls_total Calls
# TYPE function_calls_total counter
function_calls_total{method="POST"} ${calls}
function_failures_total{method="POST"} ${failures}
${Object.entries(buckets).map(([le, n]) => `function_duration_seconds_bucket{method="POST",le="${le}"} ${n}`).join('\n')}
function_duration_seconds_count{method="POST"} ${calls}
`;

test('parses names, labels and values, skipping comments', () => {
  const series = parsePrometheus('# TYPE x counter\nx_total{a="1",b="two words"} 3\ny 4.5\n');
  assert.deepEqual(series, [
    { name: 'x_total', labels: { a: '1', b: 'two words' }, value: 3 },
    { name: 'y', labels: {}, value: 4.5 },
  ]);
});

test('rates and percentiles come from the deltas between two samples', () => {
  const a = sample(text(10, 1, { 0.005: 5, 0.01: 10, 0.1: 10, '+Inf': 10 }), 0);
  // 10 more calls in 2 s: 4 under 5 ms, 4 more under 10 ms, 2 under 100 ms; 2 failures
  const b = sample(text(20, 3, { 0.005: 9, 0.01: 18, 0.1: 20, '+Inf': 20 }), 2000);
  const [p] = points([a, b]);
  assert.equal(p.calls, 5);
  assert.equal(p.failures, 1);
  // the 5th of 10 is in (5 ms, 10 ms]: 1 of that bucket's 4, a quarter of the way
  assert.ok(Math.abs(p.p50 - 6.25) < 1e-9, String(p.p50));
  // the 9.5th is in (10 ms, 100 ms]: 1.5 of its 2
  assert.ok(Math.abs(p.p95 - 77.5) < 1e-9, String(p.p95));
});

test('no calls between samples: no percentile; a restarted process is no point', () => {
  const a = sample(text(5, 0, { 0.1: 5, '+Inf': 5 }), 0);
  const b = sample(text(5, 0, { 0.1: 5, '+Inf': 5 }), 1000);
  assert.equal(quantile(0.5, a, b), null);
  const restarted = sample(text(1, 0, { 0.1: 1, '+Inf': 1 }), 2000);
  assert.deepEqual(points([b, restarted]), []);
});
