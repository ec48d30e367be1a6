// Small shared pieces: messages, the confirmation dialog, the page heading.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

export function Heading({ children }) {
  return html`<h1 tabindex="-1">${children}</h1>`;
}

/** An error (role=alert, announced at once) or a notice (role=status). */
export function Message({ error, notice }) {
  return html`
    <div role="alert" class=${error ? 'error' : 'hidden'}>${error ?? ''}</div>
    <div role="status" class=${notice ? 'notice' : 'hidden'}>${notice ?? ''}</div>
  `;
}

/** A modal confirmation (the native dialog: focus kept inside, Escape cancels). */
export function Confirm({ open, title, children, action, onConfirm, onCancel }) {
  const dialog = useRef(null);
  useEffect(() => {
    const d = dialog.current;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return html`
    <dialog ref=${dialog} aria-labelledby="confirm-title" onCancel=${(e) => {
      e.preventDefault();
      onCancel();
    }}>
      <h2 id="confirm-title">${title}</h2>
      <p>${children}</p>
      <div class="buttons">
        <button type="button" onClick=${onCancel}>Cancel</button>
        <button type="button" class="danger" onClick=${onConfirm}>${action}</button>
      </div>
    </dialog>
  `;
}

/** `k=v` lines to an object, and back. */
export function parsePairs(text, sep = '=') {
  const out = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    const i = t.indexOf(sep);
    if (i <= 0) throw new Error(`"${t}" is not ${sep === '=' ? 'key=value' : 'Name: value'}`);
    out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

export const formatPairs = (obj, sep = '=') =>
  Object.entries(obj ?? {})
    .map(([k, v]) => `${k}${sep}${v}`)
    .join('\n');
