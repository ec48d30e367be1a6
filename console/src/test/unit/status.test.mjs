// The function status of status.js, from a cluster's and local mode's views: node --test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { functionStatus } from '../../main/web/status.js';

test('a ready function is Ready', () => {
  assert.deepEqual(functionStatus({ ready: true }), { text: 'Ready', reason: '', ok: true });
});

test("a cluster's Ready condition gives the reason", () => {
  assert.deepEqual(functionStatus({ reason: 'DeploymentNotAvailable', message: '0/1 replicas ready' }), {
    text: 'Not ready',
    reason: 'DeploymentNotAvailable: 0/1 replicas ready',
  });
});

test("local mode: an exited process, then what the runtime's /healthz says, then starting", () => {
  assert.equal(functionStatus({ exitCode: 3, health: 'x' }).reason, 'process exited with code 3');
  assert.equal(
    functionStatus({ exitCode: null, health: 'cannot load hello.handler: SyntaxError in hello.py line 1' }).reason,
    'cannot load hello.handler: SyntaxError in hello.py line 1',
  );
  assert.equal(functionStatus({ exitCode: null, health: null }).reason, 'starting: waiting for /healthz');
});

test('a function local mode does not run', () => {
  assert.deepEqual(functionStatus(undefined, { runs: false }), { text: 'Not running', reason: 'not run by local mode' });
  assert.equal(functionStatus(undefined, {}).reason, 'not started');
});
