/** A byte range of a source: [offset, offset + length). */
export interface Extent {
  offset: number;
  length: number;
}

/** Sorts and merges overlapping or touching extents. */
export function normalizeExtents(extents: readonly Extent[]): Extent[] {
  const sorted = extents.filter((e) => e.length > 0).sort((a, b) => a.offset - b.offset);
  const out: Extent[] = [];
  for (const e of sorted) {
    const last = out.at(-1);
    if (last && e.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, e.offset + e.length - last.offset);
    } else {
      out.push({ ...e });
    }
  }
  return out;
}
