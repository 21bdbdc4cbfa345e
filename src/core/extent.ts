/** A byte range of a source: [offset, offset + length). */
export interface Extent {
  offset: number;
  length: number;
}
