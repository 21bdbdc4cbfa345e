/** An image file or block device as a BlockSource: direct reads, data extents from SEEK_DATA (qemu-img map). */
import type { BlockSource } from '../core/block-source.ts';
import type { Extent } from '../core/extent.ts';
import { DirectReader } from './direct-reader.ts';
import { dataExtents, describeSource, type SourceInfo } from './source-extents.ts';

export class FileBlockSource implements BlockSource {
  readonly description: string;
  readonly #info: SourceInfo;
  readonly #reader: DirectReader;

  private constructor(path: string, info: SourceInfo, reader: DirectReader) {
    this.description = path;
    this.#info = info;
    this.#reader = reader;
  }

  static async open(path: string): Promise<FileBlockSource> {
    const info = await describeSource(path);
    return new FileBlockSource(path, info, await DirectReader.open(path));
  }

  get size(): number {
    return this.#info.size;
  }

  read(buf: Uint8Array, length: number, position: number): Promise<number> {
    return this.#reader.read(buf, length, position);
  }

  dataExtents(): AsyncIterable<Extent> {
    return dataExtents(this.description, this.#info);
  }

  close(): Promise<void> {
    return this.#reader.close();
  }
}
