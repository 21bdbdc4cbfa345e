// Command-line options of `npm run bench`, parsed and checked once.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DataKind } from './tool.ts';

/** What `--data` picks: the data kinds every tool backs up, and the libvirt domain (Cairn and virtnbdbackup). */
export type BenchData = DataKind | 'domain';

export interface BenchOptions {
  imageBytes: number;
  /** Real data staged into the image: 1.5 GB per 4 GiB of image, the same fill ratio at every size. */
  imageDataBytes: number;
  treeBytes: number;
  tools: string[];
  data: BenchData[];
  keep: boolean;
  cacheDir: string;
  workDir: string;
  seed: string;
}

export const usage = `usage: node bench/run.ts [--quick | --size 4G] [--only cairn,restic,borg] [--data image,volume,files,domain]
                         [--keep] [--cache DIR] [--work DIR] [--seed TEXT]
  --quick   a 512 MiB image and a ~50 MB tree: a smoke run of a few minutes
  --size    logical size of the disk image (default 4G)
  --keep    keep the work directory (repositories, restores) for inspection
  --data domain   a running libvirt domain with a 2 GiB disk: Cairn against virtnbdbackup (needs libvirt)`;

const allTools = ['cairn', 'restic', 'borg'];
const gib = 1024 ** 3;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      quick: { type: 'boolean', default: false }, size: { type: 'string' }, only: { type: 'string' },
      data: { type: 'string' }, keep: { type: 'boolean', default: false }, cache: { type: 'string' },
      work: { type: 'string' }, seed: { type: 'string', default: 'cairn-bench-1' },
    },
  });
  const imageBytes = parseSize(values.size ?? (values.quick ? '512M' : '4G'));
  const tools = values.only?.split(',') ?? allTools;
  const data = (values.data?.split(',') ?? ['image', 'volume', 'files', 'domain']) as BenchData[];
  for (const tool of tools) if (!allTools.includes(tool)) throw new Error(`unknown tool ${tool}\n${usage}`);
  for (const kind of data) if (!['image', 'volume', 'files', 'domain'].includes(kind)) throw new Error(`unknown data ${String(kind)}\n${usage}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    imageBytes, imageDataBytes: Math.round((1.5e9 * imageBytes) / (4 * gib)),
    treeBytes: values.quick ? 50e6 : 400e6, tools, data, keep: values.keep, seed: values.seed,
    // /var/tmp rather than /tmp: it is on disk here, and the full run needs ~15 GB.
    cacheDir: values.cache ?? join(bigTmp(), 'cairn-bench-cache'),
    workDir: values.work ?? join(bigTmp(), `cairn-bench-work-${stamp}`),
  };
}

function bigTmp(): string {
  return process.platform === 'linux' ? '/var/tmp' : tmpdir();
}

export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMGT]?)i?B?$/i.exec(text);
  if (!match) throw new Error(`not a size: ${text} (e.g. 512M, 4G)\n${usage}`);
  const power = ' KMGT'.indexOf((match[2] ?? '').toUpperCase() || ' ');
  return Math.round(Number(match[1]) * 1024 ** power);
}
