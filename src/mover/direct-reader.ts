/**
 * Reads an image with O_DIRECT where the file system allows it, through the page cache otherwise.
 *
 * Why: a backup reads each block once, and through the page cache every byte costs the kernel a
 * copy and a page-cache insertion: 2.0 s of system CPU for the 1.5 GB of the bench image, read from a
 * cold cache, against 0.14 s with O_DIRECT (this machine, 2 cores: the backup is CPU-bound, so that is
 * time). It also leaves the host's cache to the guests. Direct reads are coherent with writes still in
 * the page cache: the kernel writes those out before it reads.
 *
 * O_DIRECT needs the buffer, the offset and the length aligned to the device's logical block size.
 * Buffers come from AlignedBuffers (page-aligned), offsets are block offsets of the image, and the
 * length is rounded up to a page (a read past the end returns what exists). Where that is not enough
 * (O_DIRECT refused at open, EINVAL on a read: an unaligned buffer or offset, a device with larger
 * sectors, some FUSE file systems) reads go through a second, ordinary descriptor; so does the rest
 * of a read that a direct read left short. Both descriptors stay open until close(), so reads running
 * at the same time never see a descriptor change under them.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

const ALIGN = 4096;

export class DirectReader {
  readonly #path: string;
  readonly #direct: FileHandle | undefined;
  #buffered: Promise<FileHandle> | undefined;
  /** Set after a direct read failed with EINVAL: every later read goes through the page cache. */
  #refused = false;

  private constructor(path: string, direct: FileHandle | undefined, buffered: FileHandle | undefined) {
    this.#path = path;
    this.#direct = direct;
    if (buffered) this.#buffered = Promise.resolve(buffered);
  }

  static async open(path: string): Promise<DirectReader> {
    try {
      return new DirectReader(path, await open(path, constants.O_RDONLY | constants.O_DIRECT), undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      return new DirectReader(path, undefined, await open(path, 'r'));
    }
  }

  /** Whether reads still go around the page cache (false once the file system refused). */
  get direct(): boolean {
    return this.#direct !== undefined && !this.#refused;
  }

  /**
   * Reads `length` bytes at `position` into the start of `buf`, which needs room for `length`
   * rounded up to 4096 bytes (page-aligned for direct reads). Returns the bytes read: fewer only at
   * the end of the file.
   */
  async read(buf: Uint8Array, length: number, position: number): Promise<number> {
    if (length > buf.length) throw new RangeError(`a read of ${length} bytes into a buffer of ${buf.length}`);
    let got = 0;
    if (this.#direct && !this.#refused) {
      try {
        got = await this.#readDirect(this.#direct, buf, length, position);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        this.#refused = true;
        got = 0;
      }
    }
    const fh = got < length ? await this.#bufferedHandle() : undefined;
    while (fh && got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  }

  /** Direct reads of whole pages until `length` is covered or a read comes back short (end of file, or a file system's choice). */
  async #readDirect(fh: FileHandle, buf: Uint8Array, length: number, position: number): Promise<number> {
    let got = 0;
    while (got < length) {
      const want = Math.min(buf.length - got, Math.ceil((length - got) / ALIGN) * ALIGN);
      const { bytesRead } = await fh.read(buf, got, want, position + got);
      got += bytesRead;
      // The next direct read would start off a page boundary: the caller finishes through the page cache.
      if (bytesRead === 0 || bytesRead % ALIGN !== 0) break;
    }
    return Math.min(got, length);
  }

  #bufferedHandle(): Promise<FileHandle> {
    this.#buffered ??= open(this.#path, 'r');
    return this.#buffered;
  }

  async close(): Promise<void> {
    const buffered = this.#buffered;
    this.#buffered = undefined;
    await Promise.all([this.#direct?.close(), buffered?.then((fh) => fh.close(), () => undefined)]);
  }
}
