// The login form of a console on a cluster (console-server, kubeless.console.auth=token): shown only
// when the API answers 401. Local mode never does. The token is sent once; the server answers with
// an HttpOnly session cookie, so the page never keeps it.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post } from './api.js';
import { Heading, Message } from './ui.js';

export function LoginPage({ onLogin }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post('login', { token });
      onLogin();
    } catch (err) {
      setError(err.status === 401 ? 'That token is not the console\u2019s.' : err.message);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <${Heading}>Log in<//>
    <p>This console needs its token (the <code>kubeless-console</code> Secret of its namespace).</p>
    <${Message} error=${error} />
    <form onSubmit=${submit} aria-label="Log in">
      <label>Token <input name="token" type="password" autocomplete="current-password" required
        value=${token} onInput=${(e) => setToken(e.target.value)} /></label>
      <button type="submit" disabled=${busy}>Log in</button>
    </form>
  `;
}
