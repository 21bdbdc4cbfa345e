/**
 * The bank descriptor, `cairn-bank.json` at the root of a bank: plaintext JSON that says what
 * the location is, which format version wrote it, the chunking parameters and the key slots.
 * It is the only object a reader can parse without a key.
 */
import { CairnError } from '../core/errors.ts';
import type { KeySlot } from './keys.ts';

export const DESCRIPTOR_KEY = 'cairn-bank.json';
export const FORMAT_NAME = 'cairn-bank';
/** 2: chunks in frames (docs/bank-format.md §5). Version 1, a pre-release, sealed one chunk per envelope. */
export const FORMAT_VERSION = 2;

export interface ChunkingParams {
  /** Block size of fixed indexes (images): the unit of change detection and dedup. */
  imageBlockSize: number;
  /** Entries per fixed-index page; an incremental rewrites only the pages whose blocks changed. */
  fixedPageEntries: number;
  /** Entries per dynamic-index page (streams, file contents, file catalogs). */
  dynamicPageEntries: number;
  /** Content-defined chunking for streams and files. */
  cdc: { minSize: number; avgSize: number; maxSize: number };
  /** Target size of pack objects. */
  packSize: number;
  /** zstd level for data chunks (0 = none). */
  compressionLevel: number;
}

export interface BankDescriptor {
  format: typeof FORMAT_NAME;
  version: number;
  bankId: string;
  createdAt: string;
  chunking: ChunkingParams;
  keySlots: KeySlot[];
}

export const DEFAULT_CHUNKING: ChunkingParams = {
  imageBlockSize: 64 * 1024,
  fixedPageEntries: 1024,
  dynamicPageEntries: 2048,
  cdc: { minSize: 256 * 1024, avgSize: 1024 * 1024, maxSize: 4 * 1024 * 1024 },
  packSize: 16 * 1024 * 1024,
  compressionLevel: 3,
};

export function parseDescriptor(bytes: Uint8Array, location: string): BankDescriptor {
  let d: unknown;
  try {
    d = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new CairnError('not-a-bank', `${location}: ${DESCRIPTOR_KEY} is not valid JSON; this is not a Cairn bank or its descriptor is damaged`);
  }
  const desc = d as Partial<BankDescriptor>;
  if (desc.format !== FORMAT_NAME) throw new CairnError('not-a-bank', `${location} is not a Cairn bank (${DESCRIPTOR_KEY} has no "format": "${FORMAT_NAME}")`);
  if (typeof desc.version !== 'number' || desc.version > FORMAT_VERSION) {
    throw new CairnError('format-too-new', `${location} uses bank format version ${String(desc.version)}; this Cairn reads up to version ${FORMAT_VERSION}: upgrade Cairn`);
  }
  if (desc.version === 1) {
    throw new CairnError('format-too-old', `${location} is a bank of format version 1, written by a pre-release Cairn whose chunk layout this Cairn cannot read; create a new bank (cairn bank init) and back up again`);
  }
  if (desc.version < 1 || !Number.isInteger(desc.version) || typeof desc.bankId !== 'string' || !desc.chunking || !Array.isArray(desc.keySlots)) {
    throw new CairnError('corrupt', `${location}: ${DESCRIPTOR_KEY} has an invalid version, or lacks bankId, chunking or keySlots`);
  }
  return desc as BankDescriptor;
}

export function serializeDescriptor(d: BankDescriptor): Buffer {
  return Buffer.from(JSON.stringify(d, null, 2) + '\n');
}
