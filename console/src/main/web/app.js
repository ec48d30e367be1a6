// The Kubeless console: a hash-routed single page on the admin API (see api.js).
import { html, render } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { FunctionsPage, FunctionEditPage } from './functions.js';
import { CallPage } from './call.js';
import { LogsPage } from './logs.js';
import { TriggersPage, TriggerEditPage } from './triggers.js';
import { LoginPage } from './login.js';
import { get } from './api.js';

function route(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [top, a, b, c, d] = parts;
  if (top === 'functions' && a === 'new') return { page: 'function-edit' };
  if (top === 'functions' && a && b) {
    const page = { edit: 'function-edit', call: 'call', logs: 'logs' }[c];
    if (page) return { page, ns: a, name: b };
  }
  if (top === 'triggers' && a === 'new') return { page: 'trigger-edit' };
  if (top === 'triggers' && a && b && c && d === 'edit') {
    return { page: 'trigger-edit', plural: a, ns: b, name: c };
  }
  if (top === 'triggers') return { page: 'triggers' };
  return { page: 'functions' };
}

const TITLES = {
  functions: 'Functions',
  'function-edit': 'Function',
  call: 'Call',
  logs: 'Logs',
  triggers: 'Triggers',
  'trigger-edit': 'Trigger',
};

function App() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const [login, setLogin] = useState(false);
  useEffect(() => {
    const on = () => setLogin(true);
    addEventListener('kubeless-unauthorized', on);
    get('').catch(() => {}); // answers 401 when this console needs a login
    return () => removeEventListener('kubeless-unauthorized', on);
  }, []);
  const r = route(hash);
  const main = useRef(null);
  useEffect(() => {
    document.title = `${TITLES[r.page]} · Kubeless console`;
    // a new page: move focus to its heading, as a page load would
    main.current?.querySelector('h1')?.focus();
  }, [hash, login]);
  const section = r.page.startsWith('trigger') ? 'triggers' : 'functions';
  const key = hash; // a new route mounts its page afresh
  return html`
    <a class="skip" href="#main" onClick=${(e) => {
      e.preventDefault();
      main.current?.querySelector('h1')?.focus();
    }}>Skip to content</a>
    <header class="top">
      <span class="brand">Kubeless console</span>
      <nav aria-label="Sections">
        <ul>
          <li><a href="#/functions" aria-current=${section === 'functions' ? 'page' : null}>Functions</a></li>
          <li><a href="#/triggers" aria-current=${section === 'triggers' ? 'page' : null}>Triggers</a></li>
        </ul>
      </nav>
    </header>
    <main id="main" ref=${main}>
      ${login && html`<${LoginPage} onLogin=${() => setLogin(false)} />`}
      ${!login && r.page === 'functions' && html`<${FunctionsPage} key=${key} />`}
      ${!login && r.page === 'function-edit' && html`<${FunctionEditPage} key=${key} ns=${r.ns} name=${r.name} />`}
      ${!login && r.page === 'call' && html`<${CallPage} key=${key} ns=${r.ns} name=${r.name} />`}
      ${!login && r.page === 'logs' && html`<${LogsPage} key=${key} ns=${r.ns} name=${r.name} />`}
      ${!login && r.page === 'triggers' && html`<${TriggersPage} key=${key} />`}
      ${!login && r.page === 'trigger-edit' &&
      html`<${TriggerEditPage} key=${key} plural=${r.plural} ns=${r.ns} name=${r.name} />`}
    </main>
  `;
}

const root = document.getElementById('app');
root.textContent = ''; // the loading note
render(html`<${App} />`, root);
