// The console end to end in a real headless Chromium, against a running local mode:
//   node console.e2e.mjs <console URL> <output dir> <fresh profile dir>
// A user creates a Python function in the editor (reviewing the diff before applying), calls it and
// sees the answer and the metrics, saves a request, sends a body from a file, sees its log line
// (merged and per replica), edits it and calls again, creates a KafkaTrigger, publishes to its
// topic, peeks at it and sees the function invoked and counted, edits a multi-file function as a
// tree of files, then deletes everything after confirming. axe-core checks every page (no serious or critical
// violation); a screenshot of every page goes to <output dir>. Exits non-zero on the first failure.
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from './browser.mjs';
import axe from 'axe-core';
import { strToU8, zipSync } from 'fflate';

const [url, out, profile] = process.argv.slice(2);
assert.ok(url && out && profile, 'usage: console.e2e.mjs <console URL> <output dir> <profile dir>');
mkdirSync(out, { recursive: true });

const { context, page, problems } = await launch(profile, 60_000);
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });

const audits = {};
/** axe-core on the page as it is: no serious or critical violation; and a screenshot. */
async function check(name) {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(axe.source); // evaluated by the browser's debugger, not blocked by the page's CSP
  }
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }),
  );
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  audits[name] = result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility of ${name}`,
  );
  console.log(`checked ${name}: ${result.passes.length} rules pass; minor: ${result.violations.map((v) => `${v.id} (${v.impact})`).join(", ") || "none"}`);
}

/** Retries `attempt` until it returns true (a new call after a restart, say), for at most `ms`. */
async function eventually(what, attempt, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await attempt()) return;
    assert.ok(Date.now() < end, `timed out: ${what}`);
    await page.waitForTimeout(250); // the interval between tries, as Awaitility's poll interval
  }
}

/** Replaces the whole document of the CodeMirror editor in `container`. */
async function replaceCode(container, text) {
  const content = page.locator(`${container} .cm-content`);
  await content.click();
  await page.keyboard.press('Control+A');
  // pasted, as the code's own indentation must stay (typing would be indented by the editor)
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.keyboard.press('Control+V');
  await page.waitForFunction(
    ([sel, t]) => document.querySelector(sel).textContent.includes(t.split('\n')[1].trim()),
    [`${container} .cm-content`, text],
  );
}

const heading = (name) => page.getByRole('heading', { level: 1, name });

const V1 = `def handler(event, context):
    print("greeting v1", event["data"]["name"], flush=True)
    return "v1: hello " + event["data"]["name"]
`;
const V2 = `def handler(event, context):
    print("greeting v2", event["data"]["name"], flush=True)
    return "v2: hi " + event["data"]["name"]
`;

try {
  // --- the functions list, empty --------------------------------------------------------------
  await page.goto(url);
  await heading('Functions').waitFor();
  await page.getByText('No functions yet.').waitFor();
  await check('functions-empty');

  // --- a new function, written in the editor ---------------------------------------------------
  await page.getByRole('link', { name: 'New function' }).click();
  await heading('New function').waitFor();
  await page.locator('select[name=runtime] option[value="python3.12"]').waitFor({ state: 'attached' });
  await page.getByLabel('Name', { exact: true }).fill('greet');
  await page.getByLabel('Runtime').selectOption('python3.12');
  await page.getByLabel('Handler').fill('greet.handler');
  await page.getByLabel('Timeout (seconds)').fill('30');
  await page.getByLabel(/^Labels/).fill('app=console-demo');
  await replaceCode('#code', V1);
  assert.equal(await page.locator('#code').getAttribute('data-language'), 'python');
  // highlighted: the parser marks the tokens (in idle time, so wait for it)
  await page.locator('#code .cm-line span[class]').first().waitFor();
  await check('function-new');
  await page.getByRole('tab', { name: 'YAML' }).click();
  const yaml = await page.getByLabel('Function as YAML').textContent();
  for (const expected of ['kind: Function', 'name: greet', 'runtime: python3.12', 'handler: greet.handler', 'app: console-demo', 'greeting v1']) {
    assert.ok(yaml.includes(expected), `the YAML view shows ${expected}:\n${yaml}`);
  }
  await check('function-yaml');
  await page.getByRole('tab', { name: 'Form' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  // a dry run first: the whole resource is new
  const diff = page.getByLabel('Changes as a line diff');
  await diff.waitFor();
  assert.match(await page.locator('#review-summary').textContent(), /^A new resource: \d+ lines\.$/);
  assert.ok((await diff.textContent()).includes('+ kind: Function'), await diff.textContent());
  await check('function-review');
  await page.getByRole('button', { name: 'Apply' }).click();
  await heading('Edit function greet').waitFor();

  await page.getByRole('link', { name: 'Functions' }).click();
  const row = page.locator('tr[data-function="greet"]');
  await row.getByText('Ready', { exact: true }).waitFor();
  assert.match(await row.textContent(), /python3\.12/);
  assert.match(await row.locator('code').textContent(), /^http:\/\/127\.0\.0\.1:\d+\/$/);
  await check('functions');

  // --- a call ------------------------------------------------------------------------------------
  await page.getByRole('link', { name: 'Call greet' }).click();
  await heading('Call greet').waitFor();
  await page.getByLabel('Body', { exact: true }).fill('{"name": "console"}');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('.status[data-status="200"]').waitFor();
  assert.equal(await page.getByLabel('Response body').textContent(), 'v1: hello console');
  assert.match(await page.locator('.timing').textContent(), /in \d+ ms/);
  await page.getByRole('button', { name: 'Copy as curl' }).click();
  const curl = await page.getByLabel('curl command').inputValue();
  assert.match(curl, /^curl -i -X POST 'http:\/\/127\.0\.0\.1:\d+\/' -H 'Content-Type: application\/json' --data-raw '\{"name": "console"\}'$/);
  await check('call');
  // the call shows in the metrics, sampled every 3 s: a point with calls and a duration
  const calls = page.locator('figure[data-metric="Calls/s"] svg');
  await page.waitForFunction(() => {
    const label = document.querySelector('figure[data-metric="p50 duration"] svg')?.getAttribute('aria-label') ?? '';
    return /highest \d/.test(label) && !/highest 0\.00 ms/.test(label);
  }, null, { timeout: 20_000 });
  assert.match(await calls.getAttribute('aria-label'), /^Calls\/s: latest [\d.]+, highest (?!0\.00)[\d.]+ over the last \d+ s$/);
  await check('call-metrics');

  // saved in this browser, loaded again after a reload, then deleted
  await page.getByLabel('Save this request as').fill('console greeting');
  await page.getByRole('button', { name: 'Save request' }).click();
  await page.getByRole('status').getByText('Request "console greeting" saved in this browser.').waitFor();
  await page.reload();
  await heading('Call greet').waitFor();
  await page.getByLabel('Body', { exact: true }).fill('changed');
  await page.getByLabel('Saved request', { exact: true }).selectOption('console greeting');
  await page.getByRole('button', { name: 'Load' }).click();
  await page.getByRole('status').getByText('Request "console greeting" loaded.').waitFor();
  assert.equal(await page.getByLabel('Body', { exact: true }).inputValue(), '{"name": "console"}');
  assert.equal(await page.getByLabel(/^Headers/).inputValue(), 'Content-Type: application/json');

  // a body from a file: its bytes, with its type
  await page.getByLabel('Body from a file').setInputFiles({ name: 'body.json', mimeType: 'application/json', buffer: Buffer.from('{"name": "file"}') });
  await page.getByText('Sending body.json (16 bytes, application/json) as the body.').waitFor();
  await page.getByLabel(/^Headers/).fill('');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByLabel('Response body').getByText('v1: hello file').waitFor();
  await check('call-file');
  await page.getByRole('button', { name: 'Delete saved' }).click();
  await page.getByRole('status').getByText('Request "console greeting" deleted.').waitFor();
  assert.deepEqual(await page.getByLabel('Saved request', { exact: true }).locator('option').allTextContents(), ['None saved yet']);

  // --- its log, live -----------------------------------------------------------------------------
  await page.getByRole('link', { name: 'Logs of greet' }).click();
  await heading('Logs of greet').waitFor();
  const log = page.getByRole('log', { name: 'Log lines of greet' });
  await log.getByText('greeting v1 console').waitFor();
  await page.getByLabel('Search').fill('greeting v1 console');
  // merged, each line names its replica (local mode: one process, named by its pid)
  const pid = String((await (await fetch(new URL('api/functions/default/greet', url))).json()).pid);
  await eventually('the line, named by its replica', async () =>
    JSON.stringify(await log.locator('li').allTextContents()) === JSON.stringify([`[${pid}] greeting v1 console`]), 10_000);
  await check('logs');
  await page.getByLabel('Replica').selectOption(pid);
  await eventually('only the replica\'s lines, unprefixed', async () =>
    JSON.stringify(await log.locator('li').allTextContents()) === JSON.stringify(['greeting v1 console']), 10_000);
  await check('logs-replica');

  // --- edited, and called again -------------------------------------------------------------------
  await page.getByRole('link', { name: 'Edit greet' }).click();
  await heading('Edit function greet').waitFor();
  await page.locator('#code .cm-content').getByText('greeting v1').waitFor();
  await replaceCode('#code', V2);
  await page.getByRole('button', { name: 'Save' }).click();
  await diff.waitFor();
  const changes = await diff.textContent();
  assert.match(changes, /^- +print\("greeting v1"/m);
  assert.match(changes, /^\+ +print\("greeting v2"/m);
  assert.match(await page.locator('#review-summary').textContent(), /^\d+ lines added, \d+ removed/);
  await check('function-edit-review');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('status').getByText('Function greet saved').waitFor();
  await check('function-edit');
  await page.getByRole('link', { name: 'Call greet' }).click();
  await heading('Call greet').waitFor();
  await page.getByLabel('Body', { exact: true }).fill('{"name": "again"}');
  await eventually('the edited function answers', async () => {
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('button', { name: 'Send' }).and(page.locator(':enabled')).waitFor();
    return (await page.getByLabel('Response body').textContent().catch(() => '')) === 'v2: hi again';
  });

  // --- a KafkaTrigger, and a test message on its topic ----------------------------------------------
  await page.getByRole('link', { name: 'Triggers' }).click();
  await heading('Triggers').waitFor();
  await page.getByText('No triggers yet.').waitFor();
  await check('triggers-empty');
  await page.getByRole('link', { name: 'New trigger' }).click();
  await heading('New trigger').waitFor();
  await page.getByLabel('Kind').selectOption('KafkaTrigger');
  await replaceCode('#trigger-yaml', `apiVersion: kubeless.io/v1beta1
kind: KafkaTrigger
metadata:
  name: greet-orders
  namespace: default
spec:
  topic: console-orders
  functionSelector:
    matchLabels:
      app: console-demo
`);
  await check('trigger-new');
  await page.getByRole('button', { name: 'Review' }).click();
  assert.ok((await diff.textContent()).includes('+   topic: console-orders'));
  await check('trigger-review');
  await page.getByRole('button', { name: 'Apply' }).click();
  await heading('Triggers').waitFor();
  const trigger = page.locator('tr[data-trigger="greet-orders"]');
  await trigger.getByText('ACTIVE').waitFor({ timeout: 120_000 }); // the first KafkaTrigger starts the broker
  assert.match(await trigger.textContent(), /Kafka.*console-orders.*app=console-demo.*greet/);
  await check('triggers');
  await page.getByRole('button', { name: 'Publish to greet-orders' }).click();
  assert.equal(await page.getByRole('textbox', { name: 'Topic' }).inputValue(), 'console-orders');
  await page.getByRole('textbox', { name: 'Message' }).fill('{"name": "kafka"}');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.getByText(/Published to console-orders, partition 0, offset \d+\./).waitFor();
  await check('trigger-publish');
  await page.getByRole('button', { name: 'Peek' }).click();
  const peek = page.getByRole('table', { name: /^Latest \d+ messages on console-orders, newest last$/ });
  await peek.getByText('{"name": "kafka"}').waitFor();
  // the binding's counts from the engine, with their sparklines
  await trigger.getByText(/events 1, failures 0, lag (\d+|unknown)/).waitFor({ timeout: 30_000 });
  await trigger.locator('figure[data-metric="Events/s"] svg[role=img]').waitFor();
  await check('trigger-peek');

  await page.goto(`${url}#/functions/default/greet/logs`);
  await heading('Logs of greet').waitFor();
  await log.getByText('greeting v2 kafka').waitFor();
  await check('logs-kafka');

  // --- deleted, after confirming ---------------------------------------------------------------------
  await page.getByRole('link', { name: 'Triggers' }).click();
  await page.getByRole('button', { name: 'Delete greet-orders' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete KafkaTrigger greet-orders?' });
  await dialog.waitFor();
  await check('trigger-delete');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No triggers yet.').waitFor();

  // --- a function of several files (base64+zip), edited as a tree of files ------------------------------
  const archive = Buffer.from(zipSync({
    'main.py': strToU8('import os\nimport helper\n\ndef handler(event, context):\n    with open(os.path.join(os.path.dirname(__file__), "data", "greeting.txt")) as f:\n        return helper.shout(f.read().strip())\n'),
    'helper.py': strToU8('def shout(s):\n    return s.upper()\n'),
    'data/greeting.txt': strToU8('hello zip\n'),
  })).toString('base64');
  const created = await fetch(new URL('api/resources/functions/default/multi', url), {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'kubeless.io/v1beta1', kind: 'Function', metadata: { name: 'multi' },
      spec: { runtime: 'python3.12', handler: 'main.handler', 'function-content-type': 'base64+zip', function: archive } }),
  });
  assert.equal(created.status, 201, await created.text());
  await page.goto(`${url}#/functions/default/multi/edit`);
  await heading('Edit function multi').waitFor();
  const tree = page.getByRole('navigation', { name: 'Files of the archive' });
  await tree.getByRole('button', { name: 'main.py' }).waitFor();
  assert.deepEqual(await tree.getByRole('button').allTextContents(), ['greeting.txt', 'helper.py', 'main.py', 'Add file']);
  assert.match(await tree.textContent(), /data\//);
  await tree.getByRole('button', { name: 'helper.py' }).click();
  await page.locator('#file-code .cm-content').getByText('s.upper()').waitFor();
  await replaceCode('#file-code', 'def shout(s):\n    return s.upper() + "!"\n');
  await tree.getByLabel('New file path').fill('notes.txt');
  await tree.getByRole('button', { name: 'Add file' }).click();
  await page.getByLabel('Rename notes.txt to').fill('docs/notes.txt');
  await page.getByRole('button', { name: 'Rename' }).click();
  await tree.getByRole('button', { name: 'notes.txt' }).waitFor();
  await check('function-files');
  await page.getByRole('button', { name: 'Delete docs/notes.txt' }).click();
  await tree.getByRole('button', { name: 'notes.txt' }).waitFor({ state: 'detached' });
  assert.deepEqual(await tree.getByRole('button').allTextContents(), ['greeting.txt', 'helper.py', 'main.py', 'Add file']);
  await page.getByRole('button', { name: 'Save' }).click();
  await diff.waitFor();
  assert.ok((await diff.textContent()).includes('+   function: '));
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('status').getByText('Function multi saved').waitFor();
  await page.getByRole('link', { name: 'Call multi' }).click();
  await heading('Call multi').waitFor();
  await eventually('the edited archive answers', async () => {
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('button', { name: 'Send' }).and(page.locator(':enabled')).waitFor();
    return (await page.getByLabel('Response body').textContent().catch(() => '')) === 'HELLO ZIP!';
  });
  const gone = await fetch(new URL('api/resources/functions/default/multi', url), { method: 'DELETE' });
  assert.equal(gone.status, 200);

  await page.getByRole('link', { name: 'Functions' }).click();
  await page.getByRole('button', { name: 'Delete greet' }).click();
  await page.getByRole('dialog', { name: 'Delete function greet?' }).getByRole('button', { name: 'Cancel' }).click();
  await row.waitFor(); // cancelled: still there
  await page.getByRole('button', { name: 'Delete greet' }).click();
  await page.getByRole('dialog', { name: 'Delete function greet?' }).getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No functions yet.').waitFor();

} catch (e) {
  // what the page showed when it failed
  await page.screenshot({ path: join(out, 'failure.png'), fullPage: true }).catch(() => {});
  writeFileSync(join(out, 'failure.html'), await page.content().catch(() => ''));
  console.log(`failed on ${page.url()}; problems in the page: ${JSON.stringify(problems)}`);
  await context.close();
  throw e;
}

writeFileSync(join(out, 'axe.json'), JSON.stringify(audits, null, 2));
await context.close();
assert.deepEqual(problems, [], 'errors in the page');
console.log('console end to end: passed');
