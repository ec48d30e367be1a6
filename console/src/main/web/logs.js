// A function's log, live: the admin API's server-sent events (the last lines, then new ones as the
// process prints them), searchable, following the end unless the reader scrolls away.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fnPath } from './api.js';
import { Heading, Message } from './ui.js';

const KEEP = 5000;

export function LogsPage({ ns, name }) {
  const [lines, setLines] = useState([]);
  const [search, setSearch] = useState('');
  const [follow, setFollow] = useState(true);
  const [state, setState] = useState('connecting');
  const box = useRef(null);

  useEffect(() => {
    const source = new EventSource(`api/${fnPath(ns, name)}/logs?tail=200`);
    let next = 0;
    source.onopen = () => setState('live');
    source.onmessage = (e) => setLines((all) => [...all, { n: next++, text: e.data }].slice(-KEEP));
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    return () => source.close();
  }, []);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow, search]);

  const needle = search.toLowerCase();
  const shown = needle ? lines.filter((l) => l.text.toLowerCase().includes(needle)) : lines;
  return html`
    <${Heading}>Logs of ${name}<//>
    <p class="links">
      <a href=${`#/functions/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/call`}>Call ${name}</a>
      <a href=${`#/functions/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/edit`}>Edit ${name}</a>
    </p>
    <${Message} error=${state === 'closed' ? 'The log stream ended.' : null} />
    <div class="grid">
      <label>Search <input type="search" name="search" value=${search} onInput=${(e) => setSearch(e.target.value)} /></label>
      <label class="check"><input type="checkbox" name="follow" checked=${follow}
        onChange=${(e) => setFollow(e.target.checked)} /> Follow new lines</label>
      <p class="stream-state" role="status">Stream ${state}; ${shown.length} of ${lines.length} lines shown</p>
    </div>
    <div class="log" role="log" aria-label=${`Log lines of ${name}`} tabindex="0" ref=${box}>
      <ol>${shown.map((l) => html`<li key=${l.n}>${l.text}</li>`)}</ol>
    </div>
  `;
}
