/**
 * Queries over many ids, a statement per 5,000: PostgreSQL takes at most 65,535 parameters in one,
 * and a scheduler turn over 10,000 plans asks about all of them at once.
 */
const CHUNK = 5000;

/** Runs `query` on `ids` (duplicates left out) a chunk at a time and answers all the rows. */
export async function inChunks<Row>(ids: Iterable<string>, query: (chunk: string[]) => Promise<Row[]>): Promise<Row[]> {
  const unique = [...new Set(ids)];
  const out: Row[] = [];
  for (let i = 0; i < unique.length; i += CHUNK) out.push(...await query(unique.slice(i, i + CHUNK)));
  return out;
}

/** `rows` grouped by a key, in their order. */
export function groupBy<Row, V>(rows: Row[], key: (r: Row) => string, value: (r: Row) => V): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(value(r));
    else out.set(k, [value(r)]);
  }
  return out;
}
