/**
 * Objects named the way people name them: an id where the API wants one, or a name, matched against
 * the list the caller may see. An id wins over a name, so an object is always reachable by its id even
 * when another one bears that id as its name.
 */
import { CairnError } from '../../core/errors.ts';

/** How many choices an error lists before it says how many more there are. */
const SHOWN = 20;

/**
 * The one item of `items` whose id is `ref`, else whose name is `ref`. None, or several of that name,
 * is an error that lists the choices (`what` is the kind, e.g. "host"; `hint` says how to make one).
 */
export function findByName<T extends { id: string }>(items: T[], ref: string, what: string, nameOf: (item: T) => string, hint: string): T {
  const byId = items.find((i) => i.id === ref);
  if (byId) return byId;
  const named = items.filter((i) => nameOf(i) === ref);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new CairnError('ambiguous', `${named.length} ${what}s are named ${ref}: give the id of one (${named.map((i) => i.id).join(', ')})`);
  if (items.length === 0) throw new CairnError('not-found', `there is no ${what} ${ref}, nor any other you may see: ${hint}`);
  throw new CairnError('not-found', `there is no ${what} ${ref}: choose one of ${choices(items, nameOf)}`);
}

/** "name (id), …" for an error message. */
export function choices<T extends { id: string }>(items: T[], nameOf: (item: T) => string): string {
  const shown = items.slice(0, SHOWN).map((i) => `${nameOf(i)} (${i.id})`).join(', ');
  return items.length > SHOWN ? `${shown} and ${items.length - SHOWN} more` : shown;
}
