// The one conformance suite for StorageBackend (restic's backend/test/suite.go in spirit): every
// implementation runs it, and every clause of the contract in src/core/storage-backend.ts has a test.
// makeBackend must return an empty, isolated backend for each test.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { isCairnError } from '../../src/core/errors.ts';
import type { ObjectInfo, StorageBackend } from '../../src/core/storage-backend.ts';

export type MakeBackend = (t: TestContext) => Promise<StorageBackend>;

export function storageConformance(name: string, makeBackend: MakeBackend): void {
  const open = async (t: TestContext): Promise<StorageBackend> => {
    const backend = await makeBackend(t);
    t.after(() => backend.close());
    return backend;
  };

  describe(`${name}: StorageBackend conformance`, () => {
    test('put then get returns the same bytes: empty, small and multi-MiB objects', async (t) => {
      const b = await open(t);
      const objects = { empty: new Uint8Array(0), small: bytes('hello'), large: randomBytes(5 * 1024 * 1024 + 17) };
      for (const [key, data] of Object.entries(objects)) await b.put(key, data);
      for (const [key, data] of Object.entries(objects)) {
        assert.ok(equal(await b.get(key), data), `get(${key}) returns what was put`);
        const info = await b.head(key);
        assert.ok(info, `head(${key}) finds the object`);
        assert.equal(info.key, key);
        assert.equal(info.size, data.length);
        assert.ok(info.modifiedAt > 0 && Number.isFinite(info.modifiedAt));
      }
    });

    test('put over an existing key replaces the whole object', async (t) => {
      const b = await open(t);
      await b.put('k', randomBytes(100_000));
      await b.put('k', bytes('short'));
      assert.deepEqual(text(await b.get('k')), 'short');
      assert.equal((await b.head('k'))?.size, 5);
      assert.deepEqual(await keys(b, ''), ['k']);
    });

    test('getRange at the start, middle and end, and past the end', async (t) => {
      const b = await open(t);
      const data = randomBytes(1000);
      await b.put('r', data);
      const cases: [number, number, number, number][] = [
        // offset, length, expected start, expected end
        [0, 10, 0, 10], [500, 100, 500, 600], [990, 10, 990, 1000], [0, 1000, 0, 1000],
        [995, 10, 995, 1000], // runs past the end: the bytes that exist
        [1000, 10, 0, 0], [5000, 10, 0, 0], // starts at or past the end: nothing
        [10, 0, 0, 0],
      ];
      for (const [offset, length, from, to] of cases) {
        const got = await b.getRange('r', offset, length);
        assert.ok(equal(got, to === 0 ? new Uint8Array(0) : data.subarray(from, to)), `getRange(${offset}, ${length})`);
      }
    });

    test('get, getRange and head of a missing key', async (t) => {
      const b = await open(t);
      await b.put('present/x', bytes('x'));
      for (const key of ['missing', 'present/missing', 'no/such/deep/key']) {
        await assert.rejects(b.get(key), isNotFoundError, `get(${key})`);
        await assert.rejects(b.getRange(key, 0, 10), isNotFoundError, `getRange(${key})`);
        await assert.rejects(b.getRange(key, 0, 0), isNotFoundError, `getRange(${key}, 0, 0)`);
        assert.equal(await b.head(key), undefined, `head(${key})`);
      }
      // A key that is only a prefix of other keys is not an object.
      assert.equal(await b.head('present'), undefined);
      await assert.rejects(b.get('present'), isNotFoundError);
    });

    test('list yields exactly the keys that start with the prefix, with their sizes', async (t) => {
      const b = await open(t);
      const all = ['packs/ab/1', 'packs/ab/22', 'packs/ac/3', 'packs/b/4', 'index/x', 'top', 'topping/y'];
      await Promise.all(all.map((k) => b.put(k, bytes(k))));
      const expect = (prefix: string): string[] => all.filter((k) => k.startsWith(prefix)).sort();
      for (const prefix of ['', 'packs/', 'packs/a', 'packs/ab', 'packs/ab/', 'packs/ab/2', 'packs/ab/1', 'pa', 'top', 'index/', 'none/', 'none', 'packs/ab/1/']) {
        assert.deepEqual(await keys(b, prefix), expect(prefix), `list('${prefix}')`);
      }
      for await (const info of b.list('packs/')) assert.equal(info.size, info.key.length);
    });

    test('list pages through more than 1000 objects', async (t) => {
      const b = await open(t);
      const all = Array.from({ length: 1100 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      await putAll(b, all.map((k) => [k, bytes(k)]));
      const listed = await keys(b, 'many/');
      assert.equal(new Set(listed).size, listed.length, 'no key is listed twice');
      assert.deepEqual(listed, all);
      assert.deepEqual(await keys(b, 'many/10'), all.filter((k) => k.startsWith('many/10')));
    });

    test('delete removes the object and is idempotent', async (t) => {
      const b = await open(t);
      await b.put('d/1', bytes('one'));
      await b.put('d/2', bytes('two'));
      await b.delete('d/1');
      assert.equal(await b.head('d/1'), undefined);
      await assert.rejects(b.get('d/1'), isNotFoundError);
      assert.deepEqual(await keys(b, ''), ['d/2']);
      await b.delete('d/1');
      await b.delete('never/existed');
      await b.put('d/1', bytes('again'));
      assert.equal(text(await b.get('d/1')), 'again');
    });

    test('concurrent puts of different keys all land', async (t) => {
      const b = await open(t);
      const entries: [string, Uint8Array][] = Array.from({ length: 64 }, (_, i) => [`c/${i % 4}/${i}`, randomBytes(1000 + i)]);
      await Promise.all(entries.map(([k, d]) => b.put(k, d)));
      for (const [k, d] of entries) assert.ok(equal(await b.get(k), d), k);
      assert.equal((await keys(b, 'c/')).length, 64);
    });

    test('keys with several / levels', async (t) => {
      const b = await open(t);
      await b.put('a/b/c/d/e/f', bytes('deep'));
      await b.put('a/b/x', bytes('shallow'));
      assert.equal(text(await b.get('a/b/c/d/e/f')), 'deep');
      assert.deepEqual(await keys(b, 'a/b/c/'), ['a/b/c/d/e/f']);
      assert.deepEqual(await keys(b, 'a/b/'), ['a/b/c/d/e/f', 'a/b/x']);
      assert.equal((await b.head('a/b/c/d/e/f'))?.size, 4);
    });
  });
}

function isNotFoundError(err: unknown): boolean {
  assert.ok(isCairnError(err, 'not-found'), `expected CairnError 'not-found', got ${String(err)}`);
  return true;
}

async function keys(b: StorageBackend, prefix: string): Promise<string[]> {
  const out: ObjectInfo[] = [];
  for await (const info of b.list(prefix)) out.push(info);
  return out.map((i) => i.key).sort();
}

/** Puts with bounded concurrency, so a thousand objects neither serialize nor flood the server. */
async function putAll(b: StorageBackend, entries: [string, Uint8Array][], concurrency = 32): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const [k, d] = entries[next++]!;
      await b.put(k, d);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
