// A line diff (longest common subsequence) of two YAML documents, shown before a change is
// applied: each line marked "+" or "-" in text, not by colour alone.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { stringify } from 'yaml';

/** [{op: ' '|'+'|'-', line}] turning `a` into `b`, line by line. */
export function lineDiff(a, b) {
  const x = a === '' ? [] : a.replace(/\n$/, '').split('\n');
  const y = b === '' ? [] : b.replace(/\n$/, '').split('\n');
  const n = x.length;
  const m = y.length;
  // lcs[i][j]: the common lines of x[i..] and y[j..]
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      out.push({ op: ' ', line: x[i++] });
      j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push({ op: '-', line: x[i++] }); // removed lines before the added ones that replace them
    } else {
      out.push({ op: '+', line: y[j++] });
    }
  }
  return out;
}

/** What a dry run answered, as YAML: the stored resource and the one Apply would store. */
export function yamlOf(resource) {
  return resource == null ? '' : stringify(resource);
}

/**
 * The review step: the diff of the stored resource and the new one, then Apply or Back. `review`
 * is the dry run's answer ({current, resource}).
 */
export function Review({ review, busy, onApply, onBack }) {
  const title = useRef(null);
  useEffect(() => title.current?.focus(), [review]); // the next step: where the reader goes
  const lines = lineDiff(yamlOf(review.current), yamlOf(review.resource));
  const added = lines.filter((l) => l.op === '+').length;
  const removed = lines.filter((l) => l.op === '-').length;
  return html`
    <section class="panel review" aria-labelledby="review-title">
      <h2 id="review-title" tabindex="-1" ref=${title}>Review the change</h2>
      <p id="review-summary">${review.current == null
        ? `A new resource: ${added} lines.`
        : added + removed === 0
          ? 'No change to the stored resource.'
          : `${added} lines added, ${removed} removed (lines marked + are added, - removed).`}</p>
      <pre class="diff" tabindex="0" aria-label="Changes as a line diff" aria-describedby="review-summary">${lines.map(
        (l) => html`<span class=${l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same'}>${l.op === ' ' ? '  ' : l.op + ' '}${l.line}${'\n'}</span>`,
      )}</pre>
      <p class="buttons">
        <button type="button" class="primary" disabled=${busy} onClick=${onApply}>Apply</button>
        <button type="button" onClick=${onBack}>Back to editing</button>
      </p>
    </section>
  `;
}
