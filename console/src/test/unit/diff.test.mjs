// The line diff of diff.js: node --test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineDiff } from '../../main/web/diff.js';

const show = (d) => d.map((l) => l.op + l.line);

test('keeps common lines and marks removed before added', () => {
  assert.deepEqual(show(lineDiff('a\nb\nc\n', 'a\nB\nc\nd\n')), [' a', '-b', '+B', ' c', '+d']);
});

test('everything is added to nothing, and removed from something', () => {
  assert.deepEqual(show(lineDiff('', 'x\ny')), ['+x', '+y']);
  assert.deepEqual(show(lineDiff('x\ny', '')), ['-x', '-y']);
  assert.deepEqual(show(lineDiff('same\n', 'same\n')), [' same']);
});
