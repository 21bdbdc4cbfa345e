// Read-ahead of small files: the scanned size is read with one byte more, which tells whether the
// file grew since the scan; a file that shrank or vanished is read as it is now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAhead } from '../../src/mover/files/read-file.ts';
import { tempDir } from '../testkit/temp-dir.ts';

test('a file read ahead: unchanged, grown, shrunk, empty, vanished', async (t) => {
  const dir = await tempDir(t);
  const path = (name: string): Buffer => Buffer.from(join(dir, name));
  const region = (scanned: number): Buffer => Buffer.alloc(scanned + 1, 0xee);
  const bytes = Buffer.from('0123456789');
  for (const name of ['same', 'grown', 'shrunk', 'empty', 'empty-grown']) await writeFile(path(name), name.startsWith('empty') ? '' : bytes);
  await appendFile(path('grown'), 'more');
  await writeFile(path('shrunk'), bytes.subarray(0, 4));
  await appendFile(path('empty-grown'), 'x');
  await rm(path('vanished'), { force: true });

  const same = await readAhead(path('same'), region(10));
  assert.deepEqual([same.bytes.toString(), same.grew, same.error], ['0123456789', false, undefined]);
  const grown = await readAhead(path('grown'), region(10));
  assert.equal(grown.grew, true, 'more bytes than scanned: read again whole, in its turn');
  const shrunk = await readAhead(path('shrunk'), region(10));
  assert.deepEqual([shrunk.bytes.toString(), shrunk.grew], ['0123', false]);
  const empty = await readAhead(path('empty'), region(0));
  assert.deepEqual([empty.bytes.length, empty.grew], [0, false]);
  assert.equal((await readAhead(path('empty-grown'), region(0))).grew, true);
  const vanished = await readAhead(path('vanished'), region(3));
  assert.equal(vanished.bytes.length, 0);
  assert.match(vanished.error ?? '', /ENOENT/);
});
