import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isCairnError } from '../../src/core/errors.ts';
import { LocalBackend } from '../../src/storage/local/local-backend.ts';
import { tempDir } from '../testkit/temp-dir.ts';
import { storageConformance } from './conformance.ts';

storageConformance('LocalBackend', async (t) => new LocalBackend(join(await tempDir(t, 'cairn-local-'), 'bank')));

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function tmpFiles(root: string): Promise<string[]> {
  const all = await readdir(root, { recursive: true });
  return all.filter((p) => p.split('/').at(-1)!.startsWith('.tmp-'));
}

describe('LocalBackend specifics', () => {
  test('puts leave no .tmp- file behind', async (t) => {
    const root = await tempDir(t, 'cairn-local-');
    const b = new LocalBackend(root);
    await Promise.all(Array.from({ length: 50 }, (_, i) => b.put(`p/${i % 5}/${i}`, new Uint8Array(10_000))));
    assert.deepEqual(await tmpFiles(root), []);
  });

  test('a put never leaves a partial object visible, even while many run at once', async (t) => {
    const b = new LocalBackend(await tempDir(t, 'cairn-local-'));
    const size = 256 * 1024;
    const content = (i: number): Uint8Array => new Uint8Array(size).fill(i % 251);
    let done = false;
    const puts = Promise.all(Array.from({ length: 200 }, (_, i) => b.put(`w/${i % 8}/${i}`, content(i)))).finally(() => { done = true; });
    let observed = 0;
    while (!done) {
      for await (const info of b.list('w/')) {
        assert.equal(info.size, size, `${info.key} is listed only once complete`);
        const i = Number(info.key.split('/').at(-1));
        assert.deepEqual(await b.getRange(info.key, size - 4, 4), content(i).subarray(size - 4));
        observed++;
      }
      await new Promise((r) => setImmediate(r));
    }
    await puts;
    assert.ok(observed > 0, 'the listing ran while puts were under way');
  });

  test('a stray temporary file from a crash is never listed', async (t) => {
    const root = await tempDir(t, 'cairn-local-');
    const b = new LocalBackend(root);
    await b.put('x/a', new Uint8Array(1));
    await writeFile(join(root, 'x', '.tmp-crashed'), 'partial');
    assert.deepEqual((await collect(b.list(''))).map((i) => i.key), ['x/a']);
    assert.deepEqual((await readdir(join(root, 'x'))).sort(), ['.tmp-crashed', 'a'], 'a fresh temporary file may belong to a running put');
    const old = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(join(root, 'x', '.tmp-crashed'), old, old);
    await collect(b.list(''));
    assert.deepEqual(await readdir(join(root, 'x')), ['a'], 'a day-old temporary file is a crash leftover and is removed');
  });

  test('a failed put removes its temporary file and says what failed', async (t) => {
    const root = await tempDir(t, 'cairn-local-');
    const b = new LocalBackend(root);
    await b.put('d/inner', new Uint8Array(1)); // 'd' is now a directory: renaming onto it fails
    await assert.rejects(b.put('d', new Uint8Array(1)), (err) => isCairnError(err, 'storage') && err.message.includes(join(root, 'd')));
    assert.deepEqual(await tmpFiles(root), []);
  });

  test('a write blocked by the bank layout is a permanent storage error naming the path', async (t) => {
    const root = await tempDir(t, 'cairn-local-');
    const b = new LocalBackend(root);
    await b.put('f', new Uint8Array(1)); // 'f' is a file, so nothing can live below it
    await assert.rejects(b.put('f/child', new Uint8Array(1)), (err) => isCairnError(err, 'storage') && !err.transient && err.message.includes(join(root, 'f')) && /damaged/.test(err.message));
    await assert.rejects(b.get('f/child'), (err) => isCairnError(err, 'not-found'));
  });

  test('the root is created on the first put; before that the backend is empty', async (t) => {
    const root = join(await tempDir(t, 'cairn-local-'), 'not', 'yet');
    const b = new LocalBackend(root);
    assert.deepEqual(await collect(b.list('')), []);
    assert.equal(await b.head('k'), undefined);
    await b.put('k', new Uint8Array([7]));
    assert.deepEqual(await b.get('k'), new Uint8Array([7]));
  });

  test('keys that could escape the root or hide as temporary files are refused', async (t) => {
    const b = new LocalBackend(await tempDir(t, 'cairn-local-'));
    for (const key of ['', '../x', '/abs', 'a//b', 'a/./b', 'a/', 'a/.tmp-x']) {
      await assert.rejects(b.put(key, new Uint8Array(1)), (err) => isCairnError(err, 'bad-input'), `put('${key}')`);
    }
    await assert.rejects(collect(b.list('../')), (err) => isCairnError(err, 'bad-input'));
  });

  test('permission errors are storage errors that name the path and say what to check', async (t) => {
    // Root ignores permission bits, but not the immutable attribute: a directory marked +i refuses new files.
    const root = await tempDir(t, 'cairn-local-');
    await mkdir(join(root, 'ro'));
    const mark = spawnSync('chattr', ['+i', join(root, 'ro')], { encoding: 'utf8' });
    assert.equal(mark.status, 0, `chattr +i failed (the test needs ext4 or another file system with attributes): ${mark.stderr}`);
    try {
      const b = new LocalBackend(root);
      await assert.rejects(b.put('ro/k', new Uint8Array(1)), (err) =>
        isCairnError(err, 'storage') && !err.transient && /permissions/.test(err.message) && err.message.includes(join(root, 'ro')));
    } finally {
      spawnSync('chattr', ['-i', join(root, 'ro')]); // before tempDir's cleanup, which would fail on it
    }
  });
});
