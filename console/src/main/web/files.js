// A multi-file function (function-content-type base64+zip): its archive as a tree of files, each
// editable, files added, renamed and deleted, and the archive made again on save (fflate).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { Editor, languageOf } from './editor.js';

// a fixed time in every entry, so the same files make the same archive
const MTIME = new Date(1980, 0, 2);

const b64 = {
  decode: (s) => Uint8Array.from(atob(s.replace(/\s+/g, '')), (c) => c.charCodeAt(0)),
  encode: (bytes) => {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  },
};

/** A zip archive in base64 to [{path, text}] (text when UTF-8, else kept as `bytes`), sorted. */
export function unzipFiles(base64) {
  const entries = unzipSync(b64.decode(base64));
  return Object.entries(entries)
    .filter(([path]) => !path.endsWith('/'))
    .map(([path, bytes]) => {
      try {
        return { path, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
      } catch {
        return { path, bytes };
      }
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** [{path, text|bytes}] to a zip archive in base64. */
export function zipFiles(files) {
  const entries = {};
  for (const f of files) entries[f.path] = [f.bytes ?? strToU8(f.text), { mtime: MTIME }];
  return b64.encode(zipSync(entries, { level: 6 }));
}

const EXT = { py: 'python', js: 'nodejs', rb: 'ruby', php: 'php', go: 'go', java: 'java', yaml: 'yaml', yml: 'yaml' };
const languageOfPath = (path) => EXT[/\.([a-z]+)$/.exec(path)?.[1]] ?? 'text';

/** Nested folders of the paths: {name, path?, children}. */
function tree(files) {
  const root = { children: new Map() };
  for (const f of files) {
    const parts = f.path.split('/');
    let node = root;
    parts.forEach((part, i) => {
      if (!node.children.has(part)) node.children.set(part, { name: part, children: new Map() });
      node = node.children.get(part);
      if (i === parts.length - 1) node.path = f.path;
    });
  }
  return root;
}

const validPath = (p) => !!p && !p.startsWith('/') && !p.endsWith('/') && !p.split('/').some((s) => s === '' || s === '.' || s === '..');

/** The files of an archive, one of them in the editor. `files` and `onChange` hold the state. */
export function FileTree({ files, onChange, runtime }) {
  const [selected, setSelected] = useState(files[0]?.path ?? null);
  const [newPath, setNewPath] = useState('');
  const [rename, setRename] = useState('');
  const [problem, setProblem] = useState(null);
  const current = files.find((f) => f.path === selected);

  function add() {
    const p = newPath.trim();
    if (!validPath(p)) return setProblem(`"${p}" is not a file path (folders/name, no "..")`);
    if (files.some((f) => f.path === p)) return setProblem(`${p} is already there`);
    setProblem(null);
    onChange([...files, { path: p, text: '' }].sort((a, b) => a.path.localeCompare(b.path)));
    setSelected(p);
    setNewPath('');
  }
  function renameSelected() {
    const p = rename.trim();
    if (!validPath(p)) return setProblem(`"${p}" is not a file path (folders/name, no "..")`);
    if (files.some((f) => f.path === p)) return setProblem(`${p} is already there`);
    setProblem(null);
    onChange(files.map((f) => (f.path === selected ? { ...f, path: p } : f)).sort((a, b) => a.path.localeCompare(b.path)));
    setSelected(p);
    setRename('');
  }
  function remove() {
    const rest = files.filter((f) => f.path !== selected);
    onChange(rest);
    setSelected(rest[0]?.path ?? null);
  }

  const render = (node) => html`<ul>${[...node.children.values()].map((c) =>
    c.path
      ? html`<li><button type="button" class="file" aria-current=${c.path === selected ? 'true' : null}
          onClick=${() => setSelected(c.path)}>${c.name}</button></li>`
      : html`<li><span class="folder">${c.name}/</span>${render(c)}</li>`)}</ul>`;

  return html`
    <div class="files">
      <nav aria-label="Files of the archive" class="tree">
        ${render(tree(files))}
        <label>New file path <input name="new-file" value=${newPath} placeholder="lib/util.py"
          onInput=${(e) => setNewPath(e.target.value)} /></label>
        <p><button type="button" onClick=${add}>Add file</button></p>
      </nav>
      <div class="file-editor">
        ${problem && html`<p role="alert" class="error">${problem}</p>`}
        ${current
          ? html`
            <p class="buttons">
              <label>Rename ${current.path} to <input name="rename" value=${rename} onInput=${(e) => setRename(e.target.value)} /></label>
              <button type="button" onClick=${renameSelected}>Rename</button>
              <button type="button" class="danger" onClick=${remove}>Delete ${current.path}</button>
            </p>
            ${current.bytes
              ? html`<p>${current.path} is not text (${current.bytes.length} bytes): kept as it is.</p>`
              : html`<${Editor} key=${current.path} id="file-code" label=${`Code of ${current.path}`} value=${current.text}
                  language=${languageOfPath(current.path) === 'text' ? languageOf(runtime) : languageOfPath(current.path)}
                  onChange=${(text) => onChange((all) => all.map((f) => (f.path === current.path ? { ...f, text } : f)))} />`}`
          : html`<p>No file selected.</p>`}
      </div>
    </div>
  `;
}
