/**
 * The values of flags that set a limit on the server: a number, a size, or "none" for no limit (null
 * in the API). They are checked here, before any call, so that a bad value changes nothing.
 */
import { CairnError } from '../core/errors.ts';

const NONE = 'none';

/** --max-operations: 1 or more (the server also caps it), or none. */
export function maxOperations(flag: string, text: string): number | null {
  return wholeOrNone(flag, text, 1);
}

/** A count that may be 0 (a quota of no checkpoints), or none. */
export function countOrNone(flag: string, text: string): number | null {
  return wholeOrNone(flag, text, 0);
}

function wholeOrNone(flag: string, text: string, min: number): number | null {
  if (text === NONE) return null;
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new CairnError('bad-input', `${flag} ${text}: give a whole number, ${min} or more, or none for no limit`);
  return n;
}

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tib: 2 ** 40, p: 2 ** 50, pib: 2 ** 50,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15,
};

/** A size in bytes: 500MiB, 10 GiB, 2TB (KiB… are powers of 1024, KB… of 1000, a bare number bytes), or none. */
export function sizeOrNone(flag: string, text: string): number | null {
  if (text === NONE) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new CairnError('bad-input', `${flag} ${text}: give a size such as 500MiB, 10GiB or 2TB (KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB of 1000), or none for no limit`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new CairnError('bad-input', `${flag} ${text}: that is more bytes than Cairn counts`);
  return bytes;
}
