/**
 * What it costs to open a large bank: writes the index objects of a bank holding N chunks (synthetic
 * ids, sixteen 64 KiB blocks per 1 MiB frame and 256 per 16 MiB pack, as a full image backup lays them
 * out; no packs, which opening does not read), then loads its chunk table in a fresh process, as every
 * backup, restore, verify and gc does, and prints that process's peak RSS and time; then backs up one
 * small file into it with the CLI and prints that whole operation's peak RSS.
 *
 *   node bench/large-bank.ts [chunks, default 16777216 = 1 TiB of 64 KiB blocks] [--dir D]
 *
 * Keeps the bank in D (default: a temporary directory, removed at the end); a bank already there
 * with the same number of chunks is reused.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bank } from '../src/bank/bank.ts';
import { INDEX_PART_ENTRIES } from '../src/bank/backup-session.ts';
import { indexKey, newIndexName, sealIndex, type IndexedPack } from '../src/bank/index-file.ts';
import { encodeEntries, type PackEntry } from '../src/bank/pack-format.ts';
import { LocalBackend } from '../src/storage/local/local-backend.ts';
import { runMeasured } from './measure.ts';

const BLOCK = 65_536, PER_FRAME = 16, PER_PACK = 256;
const SECRET = { passphrase: 'bench' };

if (process.argv[2] === '--open') {
  const start = performance.now();
  const bank = await Bank.open(new LocalBackend(process.argv[3]!), SECRET);
  const index = await bank.loadIndex();
  const ms = performance.now() - start;
  console.log(JSON.stringify({ chunks: index.size, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
} else {
  const chunks = Number(process.argv.find((a, i) => i > 1 && /^\d+$/.test(a)) ?? 16_777_216);
  const dirArg = process.argv.indexOf('--dir');
  const dir = dirArg > 0 ? process.argv[dirArg + 1]! : await mkdtemp(join(tmpdir(), 'cairn-large-bank-'));
  const marker = join(dir, 'chunks');
  if ((await readFile(marker, 'utf8').catch(() => '')) !== String(chunks)) {
    await rm(dir, { recursive: true, force: true });
    await build(dir, chunks);
    await writeFile(marker, String(chunks));
  }
  // With the CLI's own V8 flag (bin/cairn.js's #! line), so the figure is what a cairn process pays.
  const run = spawnSync(process.execPath, ['--max-semi-space-size=2', ...process.execArgv, import.meta.filename, '--open', join(dir, 'bank')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.status !== 0) throw new Error(`opening the bank failed (status ${run.status})`);
  const r = JSON.parse(run.stdout) as { chunks: number; ms: number; maxRssBytes: number };
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);
  console.log(`bank of ${r.chunks} chunks (${((r.chunks * BLOCK) / 2 ** 40).toFixed(2)} TiB of 64 KiB blocks): ` +
    `loading its chunk table took ${(r.ms / 1000).toFixed(1)} s, peak RSS ${mb(r.maxRssBytes)} MB (${(r.maxRssBytes / r.chunks).toFixed(1)} bytes per chunk)`);
  // A whole operation through the CLI: a backup of one small file, which loads the table for writing,
  // starts the codec workers and commits a checkpoint.
  const tiny = join(dir, 'tiny');
  await mkdir(tiny, { recursive: true });
  await writeFile(join(tiny, 'note.txt'), `a small file, ${new Date().toISOString()}\n`);
  const cli = fileURLToPath(new URL('../bin/cairn.js', import.meta.url));
  const backup = await runMeasured(cli, ['backup', 'files', tiny, '--bank', join(dir, 'bank'), '--name', 'tiny', '--json'], { env: { ...process.env, CAIRN_PASSPHRASE: SECRET.passphrase } });
  if (!backup.ok) throw new Error(`the backup failed: ${backup.error}`);
  console.log(`a backup of one small file into that bank (cairn backup files): ${backup.seconds.toFixed(1)} s, peak RSS ${backup.peakRssMb?.toFixed(0)} MB`);
  if (dirArg < 0) await rm(dir, { recursive: true, force: true });
}

/** Index objects as backups publish them: INDEX_PART_ENTRIES entries each. */
async function build(dir: string, chunks: number): Promise<void> {
  const storage = new LocalBackend(join(dir, 'bank'));
  const bank = await Bank.init(storage, [SECRET], { scrypt: { N: 1024, r: 8, p: 1 } });
  let n = 0;
  while (n < chunks) {
    const packs: IndexedPack[] = [];
    for (let inPart = 0; inPart < INDEX_PART_ENTRIES && n < chunks; inPart += PER_PACK) {
      const entries: PackEntry[] = [];
      // Random ids: spread like keyed hashes, far faster than hashing 64 KiB blocks.
      const ids = randomBytes(32 * PER_PACK);
      for (let i = 0; i < PER_PACK && n < chunks; i++, n++) {
        const frame = Math.floor(i / PER_FRAME);
        entries.push({ type: 'data', id: ids.subarray(32 * i, 32 * i + 32), offset: frame * 1_000_000, length: 1_000_000, rawLength: BLOCK });
      }
      packs.push({ packId: randomBytes(16).toString('hex'), entries: encodeEntries(entries) });
    }
    const name = newIndexName();
    await storage.put(indexKey(name), sealIndex(bank.keys.dataKey, name, packs));
  }
}
