// A function's log, live: the admin API's server-sent events (the last lines, then new ones as the
// process prints them), searchable, following the end unless the reader scrolls away.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { fnPath, get } from './api.js';
import { Heading, Message } from './ui.js';

const KEEP = 5000;

export function LogsPage({ ns, name }) {
  const [lines, setLines] = useState([]);
  const [search, setSearch] = useState('');
  const [follow, setFollow] = useState(true);
  const [state, setState] = useState('connecting');
  const [replicas, setReplicas] = useState([]);
  const [replica, setReplica] = useState(''); // '' = all, merged
  const box = useRef(null);

  useEffect(() => {
    get(`${fnPath(ns, name)}/replicas`).then(setReplicas, () => setReplicas([]));
  }, []);

  // one stream per choice: all replicas merged, or one of them (each line names its replica)
  useEffect(() => {
    setLines([]);
    setState('connecting');
    const only = replica ? `&replica=${encodeURIComponent(replica)}` : '';
    const source = new EventSource(`api/${fnPath(ns, name)}/logs?tail=200&format=json${only}`);
    let next = 0;
    source.onopen = () => setState('live');
    source.onmessage = (e) => {
      let line;
      try {
        line = JSON.parse(e.data);
      } catch {
        line = { replica: '', line: e.data };
      }
      setLines((all) => [...all, { n: next++, text: line.line, replica: line.replica }].slice(-KEEP));
    };
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    return () => source.close();
  }, [replica]);

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
      <label>Replica <select name="replica" value=${replica} onChange=${(e) => setReplica(e.target.value)}>
        <option value="">All (merged)</option>
        ${replicas.map((r) => html`<option value=${r.name}>${r.name}${r.ready ? '' : ' (not ready)'}</option>`)}
      </select></label>
      <label>Search <input type="search" name="search" value=${search} onInput=${(e) => setSearch(e.target.value)} /></label>
      <label class="check"><input type="checkbox" name="follow" checked=${follow}
        onChange=${(e) => setFollow(e.target.checked)} /> Follow new lines</label>
      <p class="stream-state" role="status">Stream ${state}; ${shown.length} of ${lines.length} lines shown</p>
    </div>
    <div class="log" role="log" aria-label=${`Log lines of ${name}`} tabindex="0" ref=${box}>
      <ol>${shown.map((l) => html`<li key=${l.n}>${!replica && l.replica ? html`<span class="replica">[${l.replica}] </span>` : ''}<span class="text">${l.text}</span></li>`)}</ol>
    </div>
  `;
}
