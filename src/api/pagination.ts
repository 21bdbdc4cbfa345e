/** Lists answer in pages ordered by id: `?limit=` (1–1000, default 100) and `?after=<the last id of the previous page>`. */
import { z } from 'zod';

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().min(1).optional().describe('the `next` of the previous page'),
});

export function pageOf<T extends { id: string }, Out>(rows: T[], limit: number, view: (row: T) => Out): { items: Out[]; next: string | null } {
  return { items: rows.map(view), next: rows.length === limit ? rows.at(-1)!.id : null };
}

/** A nullable timestamp as the API writes it. */
export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable().describe('pass as `after` for the next page; null on the last one') });
}
