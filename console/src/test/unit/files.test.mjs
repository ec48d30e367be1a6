// A multi-file function's archive, unzipped and zipped again by files.js: node --test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strToU8, zipSync } from 'fflate';
import { unzipFiles, zipFiles } from '../../main/web/files.js';

test('an archive opens as its files, sorted, and the same files make the same archive', () => {
  const archive = Buffer.from(zipSync({
    'main.py': strToU8('import helper\n'),
    'data/': new Uint8Array(0),
    'data/logo.png': new Uint8Array([0x89, 0x50, 0xff, 0xfe]),
    'helper.py': strToU8('x = "é"\n'),
  })).toString('base64');
  const files = unzipFiles(archive);
  assert.deepEqual(files.map((f) => f.path), ['data/logo.png', 'helper.py', 'main.py']);
  assert.deepEqual(files[0].bytes, new Uint8Array([0x89, 0x50, 0xff, 0xfe])); // not text: kept as bytes
  assert.equal(files[1].text, 'x = "é"\n');

  const again = zipFiles(files);
  assert.equal(zipFiles(unzipFiles(again)), again);
  assert.deepEqual(unzipFiles(again), files);
});
