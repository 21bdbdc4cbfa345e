/**
 * Runs in worker threads: hashes chunks and seals them into frames for backups, and opens frames and
 * checks their chunks for restores. Buffers arrive and leave by transfer; inputs go back to the caller.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { checkChunk, chunkId, isAllZero } from '../bank/chunk-codec.ts';
import { decryptFrame, frameMembers, frameRoom, inflateInto, memberFinder, notInFrame, sealFrame, type FrameMember, type MemberSpan, type SealedBody } from '../bank/frame.ts';
import { CairnError } from '../core/errors.ts';
import { Scratch } from '../core/scratch.ts';
import { HASHED, SAME_AS_SKIP_ID, ZERO_CHUNK, type CodecTask, type HashResult, type HashSealResult, type OpenResult, type SealResult, type WorkerFailure, type WorkerKeys, KEY_BYTES, KEYS_AT, movable } from './codec-pool.ts';

// The keys arrive once the bank is unlocked, which may be after this module loaded (codec-pool.ts).
// Top-level await also makes require() of this module throw at once, so piscina loads it with import():
// loaded with require(esm), Node 24 aborts the whole process (an assertion in CreateRequiredModuleFacade)
// when a worker is terminated mid-load, as the pool of a command that fails to unlock its bank is.
const { shared } = workerData as WorkerKeys;
const ready = new Int32Array(shared, 0, 1);
if (Atomics.load(ready, 0) === 0) await Atomics.waitAsync(ready, 0, 0).value;
const dataKey = Buffer.from(new Uint8Array(shared, KEYS_AT, KEY_BYTES)), idKey = Buffer.from(new Uint8Array(shared, KEYS_AT + KEY_BYTES, KEY_BYTES));

type Task<Op> = Extract<CodecTask, { op: Op }>;

export default function run(task: CodecTask): HashResult | SealResult | HashSealResult | OpenResult | WorkerFailure {
  try {
    switch (task.op) {
      case 'hash': return hash(task);
      case 'seal': return seal(task);
      case 'hashSeal': return hashSeal(task);
      default: return openFrames(task);
    }
  } catch (err) {
    // Errors lose their class and code crossing threads: send them as values; the pool rebuilds them.
    if (err instanceof CairnError) return { failure: { code: err.code, message: err.message } };
    throw err;
  }
}

function hash(task: Task<'hash'>): HashResult {
  const { ids, kinds } = hashChunks(task.data, task.bounds, task.skipIds);
  const result: HashResult = { data: task.data, ids, kinds };
  return transferring(result, [task.data, ids, kinds, ...(task.skipIds ? [task.skipIds] : [])]);
}

/** hash, then seal every distinct non-zero chunk: one trip for a batch that is expected to be all new. */
function hashSeal(task: Task<'hashSeal'>): HashSealResult {
  const hashed = hashChunks(task.data, task.bounds);
  const ids = new Uint8Array(hashed.ids), kinds = new Int8Array(hashed.kinds);
  const select: number[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === ZERO_CHUNK) continue;
    const key = Buffer.from(ids.buffer, i * 32, 32).toString('latin1');
    if (seen.has(key)) continue;
    seen.add(key);
    select.push(i);
  }
  const { out, frames } = sealChunks(task.data, task.bounds, select, (_k, i) => ids.subarray(i * 32, i * 32 + 32), task);
  const result: HashSealResult = { data: task.data, ids: hashed.ids, kinds: hashed.kinds, select, out, frames };
  return transferring(result, [task.data, hashed.ids, hashed.kinds, out]);
}

/** Ids and kinds of the chunks data[bounds[i], bounds[i+1]); with skipIds, which equal the id at their place. */
function hashChunks(buffer: ArrayBuffer | SharedArrayBuffer, bounds: readonly number[], skipIds?: ArrayBuffer): { ids: ArrayBuffer; kinds: ArrayBuffer } {
  const data = new Uint8Array(buffer);
  const n = bounds.length - 1;
  const ids = new Uint8Array(n * 32);
  const kinds = new Int8Array(n);
  const skip = skipIds ? new Uint8Array(skipIds) : undefined;
  for (let i = 0; i < n; i++) {
    const chunk = data.subarray(bounds[i], bounds[i + 1]);
    if (isAllZero(chunk)) {
      kinds[i] = ZERO_CHUNK;
      continue;
    }
    const id = chunkId(idKey, chunk);
    ids.set(id, i * 32);
    kinds[i] = skip && Buffer.compare(id, skip.subarray(i * 32, i * 32 + 32)) === 0 ? SAME_AS_SKIP_ID : HASHED;
  }
  return { ids: ids.buffer, kinds: kinds.buffer };
}

function seal(task: Task<'seal'>): SealResult {
  const ids = new Uint8Array(task.ids);
  const { out, frames } = sealChunks(task.data, task.bounds, task.select, (k) => ids.subarray(k * 32, k * 32 + 32), task);
  const result: SealResult = { data: task.data, out, frames };
  return transferring(result, [task.data, out, task.ids]);
}

/**
 * Seals the selected chunks into frames, in `out` when it has room, else in a new buffer. `idOf(k, i)`
 * is the id of chunk i, the k-th selected.
 */
function sealChunks(buffer: ArrayBuffer | SharedArrayBuffer, bounds: readonly number[], select: readonly number[], idOf: (k: number, i: number) => Uint8Array,
  { frameBytes, level, out: room }: { frameBytes: number; level: number; out: ArrayBuffer }): { out: ArrayBuffer; frames: number[] } {
  const data = new Uint8Array(buffer);
  const groups: FrameMember[][] = [];
  let group: FrameMember[] = [], raw = 0, needed = 0;
  const close = (): void => {
    if (group.length === 0) return;
    groups.push(group);
    needed += frameRoom(group.length, raw);
    group = [];
    raw = 0;
  };
  for (const [k, i] of select.entries()) {
    const member = { id: idOf(k, i), data: data.subarray(bounds[i], bounds[i + 1]) };
    if (group.length > 0 && raw + member.data.length > frameBytes) close();
    group.push(member);
    raw += member.data.length;
  }
  close();
  const out = room.byteLength >= needed ? room : new ArrayBuffer(needed);
  const target = new Uint8Array(out);
  const frames: number[] = [];
  let at = 0;
  for (const members of groups) {
    const length = sealFrame(dataKey, members, level, target, at);
    frames.push(at, length, members.length);
    at += length;
  }
  return { out, frames };
}

function openFrames(task: Task<'open'>): OpenResult {
  const data = new Uint8Array(task.data), ids = new Uint8Array(task.ids);
  const errors: (string | null)[] = [];
  const spans: number[] = [];
  const fail = (err: unknown, wants: number): void => {
    if (!task.tolerant || !(err instanceof CairnError)) throw err;
    for (let i = 0; i < wants; i++) {
      spans.push(0, -1);
      errors.push(err.message);
    }
  };
  // Decrypt every frame first, each into its own place in an arena: their sizes give the one output
  // buffer the plaintexts go into.
  const arena = arenaScratch.get(data.length);
  let want = 0, total = 0;
  const sealed = task.frames.map((f) => {
    const what = `the frame holding chunk ${hex(ids, want)}`;
    want += f.wants;
    try {
      const s = decryptFrame(dataKey, data.subarray(f.offset, f.offset + f.length), what, arena.subarray(f.offset, f.offset + f.length));
      total += s.size;
      return { what, s };
    } catch (err) {
      if (!task.tolerant || !(err instanceof CairnError)) throw err;
      return { what, error: err };
    }
  });
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  want = 0;
  for (const [k, f] of task.frames.entries()) {
    const frame = sealed[k]!;
    const first = want;
    want += f.wants;
    if (!frame.s) {
      fail(frame.error, f.wants);
      continue;
    }
    const start = at;
    at += frame.s.size;
    let members: MemberSpan[];
    try {
      members = placeFrame(frame.s, out, start, frame.what);
    } catch (err) {
      fail(err, f.wants);
      continue;
    }
    const find = memberFinder(members);
    for (let w = first; w < want; w++) {
      const id = ids.subarray(w * 32, w * 32 + 32);
      try {
        const m = find(id);
        if (!m) throw notInFrame(id);
        checkChunk(idKey, id, out.subarray(start + m.offset, start + m.offset + m.length));
        spans.push(start + m.offset, m.length);
        errors.push(null);
      } catch (err) {
        fail(err, 1);
      }
    }
  }
  const result: OpenResult = { data: task.data, out: out.buffer, spans, ...(task.tolerant ? { errors } : {}) };
  return transferring(result, [task.data, out.buffer]);
}

function placeFrame(sealed: SealedBody, out: Buffer, at: number, what: string): MemberSpan[] {
  inflateInto(sealed, out, at, what);
  return frameMembers(out.subarray(at, at + sealed.size), what);
}

/** The decryption arena of this thread, grown to the largest range seen. */
const arenaScratch = new Scratch();

function hex(ids: Uint8Array, i: number): string {
  return Buffer.from(ids.buffer, ids.byteOffset + i * 32, 32).toString('hex');
}

/** Piscina transfers the listed buffers of a result wrapped this way instead of cloning them. */
function transferring<T extends object>(value: T, buffers: (ArrayBuffer | SharedArrayBuffer)[]): T {
  const wrapped = { [transferableSymbol]: movable(buffers), [valueSymbol]: value };
  return move(wrapped) as unknown as T;
}
