/**
 * How the image block size trades incremental cost against object count and index memory.
 * Backs up the benchmark's ext4 image, then its copy with 2% scattered 64 KiB rewrites, into one
 * fresh bank per block size, and reports bytes read and written by the incremental, chunks, and the
 * in-memory index those chunks need (~60 bytes each, src/bank/chunk-index.ts).
 *
 *   node bench/block-sizes.ts [dataset-dir]   (default: the 4 GiB image of `npm run bench`'s cache)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bank } from '../src/bank/bank.ts';
import { LocalBackend } from '../src/storage/local/local-backend.ts';
import { tableBytesPerChunk } from '../src/bank/chunk-index.ts';
import { CodecPool } from '../src/mover/codec-pool.ts';
import { backupImage } from '../src/mover/image-backup.ts';

const dir = process.argv[2] ?? '/var/tmp/cairn-bench-cache/image-v2-4294967296-1500000000-cairn-bench-1';
const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { rewrite: { changedBytes: number } };
const changed = meta.rewrite.changedBytes;
const MB = (n: number): string => (n / 1e6).toFixed(1);

console.log(`data set ${dir}; changed bytes ${MB(changed)} MB`);
console.log('block    full written MB  full s  incr read MB  incr written MB  write amp  chunks  index MB/TiB*  incr s');
for (const kib of [32, 64, 128, 256, 1024]) {
  const root = await mkdtemp(join(tmpdir(), 'cairn-blocks-'));
  const bank = await Bank.init(new LocalBackend(root), [{ passphrase: 'bench' }], {
    chunking: { imageBlockSize: kib * 1024, fixedPageEntries: Math.max(64, (64 << 20) / (kib * 1024)) },
    scrypt: { N: 1024, r: 8, p: 1 },
  });
  const pool = new CodecPool(bank.keys);
  try {
    let t = Date.now();
    const full = await backupImage(bank, pool, { path: join(dir, 'base.img'), name: 'img', parent: null });
    const fullS = (Date.now() - t) / 1000;
    t = Date.now();
    const incr = await backupImage(bank, pool, { path: join(dir, 'modified.img'), name: 'img', parent: full });
    const incrS = (Date.now() - t) / 1000;
    const chunks = (await bank.loadIndex()).size;
    const perTiB = (chunks / (full.storedBytes / 2 ** 40)) * tableBytesPerChunk(Math.max(1, 1024 / kib)) / 1e6;
    console.log(`${String(kib).padStart(4)} KiB ${MB(full.writtenBytes).padStart(15)} ${fullS.toFixed(1).padStart(7)} ${MB(incr.readBytes).padStart(13)} ${MB(incr.writtenBytes).padStart(16)} ${(incr.writtenBytes / changed).toFixed(2).padStart(10)} ${String(chunks).padStart(7)} ${perTiB.toFixed(0).padStart(14)} ${incrS.toFixed(1).padStart(7)}`);
  } finally {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  }
}
console.log(`* index memory per TiB of stored data, at ${tableBytesPerChunk(16).toFixed(1)} bytes per chunk for 64 KiB blocks in 1 MiB frames`);
