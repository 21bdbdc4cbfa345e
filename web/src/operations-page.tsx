/**
 * A tenant's operations, newest first, filtered by type and state with the API's own query parameters
 * (GET /v1/operations?order=newest&tenantId=&type=&state=). The filters live in the URL, so a filtered
 * list can be reloaded or shared. Pages of 50; "Show older" follows the API's `next`. The first page
 * refreshes every 2 s while one of its operations is queued or running, else every 10 s.
 */
import { useCallback, useState } from 'react';
import type { Client } from './client.ts';
import { OperationsTable } from './operations-table.tsx';
import { navigate, useLocation } from './router.ts';
import { TYPE_NAMES } from './format.ts';
import { OPERATION_STATES, OPERATION_TYPES, type Operation, type Tenant } from './types.ts';
import { usePoll } from './use-poll.ts';

const PAGE = 50;

interface Page {
  items: Operation[];
  next: string | null;
}

const active = (ops: Operation[] | undefined) => ops?.some((o) => o.state === 'queued' || o.state === 'running') ?? false;
const delay = (page: Page | undefined) => (active(page?.items) ? 2_000 : 10_000);

export function OperationsPage({ client, tenant }: { client: Client; tenant: Tenant }) {
  const url = useLocation();
  const type = oneOf(url.searchParams.get('type'), OPERATION_TYPES);
  const state = oneOf(url.searchParams.get('state'), OPERATION_STATES);
  const query = `/v1/operations?order=newest&tenantId=${encodeURIComponent(tenant.id)}${type ? `&type=${type}` : ''}${state ? `&state=${state}` : ''}`;

  const load = useCallback((signal: AbortSignal) => client.get<Page>(`${query}&limit=${PAGE}`, signal), [client, query]);
  const first = usePoll(load, delay);

  const setFilter = (name: 'type' | 'state', value: string) => {
    const next = new URLSearchParams(url.search);
    if (value) next.set(name, value);
    else next.delete(name);
    const search = next.toString();
    navigate(`/operations${search ? `?${search}` : ''}`, { replace: true });
  };

  return (
    <>
      <h1>Operations</h1>
      <p className="muted">Backups, restores, verifications and deletes of {tenant.name}, newest first.</p>
      <form className="filters" aria-label="Filter operations" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Type</span>
          <select value={type ?? ''} onChange={(e) => setFilter('type', e.target.value)}>
            <option value="">All types</option>
            {OPERATION_TYPES.map((t) => <option key={t} value={t}>{TYPE_NAMES[t]}</option>)}
          </select>
        </label>
        <label>
          <span>State</span>
          <select value={state ?? ''} onChange={(e) => setFilter('state', e.target.value)}>
            <option value="">All states</option>
            {OPERATION_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        {first.updatedAt && <span className="muted small">{active(first.data?.items) ? 'Live, ' : ''}updated {first.updatedAt.toLocaleTimeString()}</span>}
      </form>
      <section className="card" aria-label="Operations" aria-busy={!first.data}>
        {first.error && <p className="error" role="alert">Cannot load the operations: {first.error.message}</p>}
        {!first.data && !first.error && <p className="loading">Loading…</p>}
        {first.data && first.data.items.length === 0 && (
          <p className="empty-note">{type || state ? 'No operation matches these filters.' : 'No operations yet. Backups, restores and verifications show here as they run.'}</p>
        )}
        {first.data && first.data.items.length > 0 && <OperationsTable operations={first.data.items} />}
        {/* Keyed by the query and the first page's end, so older pages start over when either moves. */}
        {first.data?.next && <OlderPages key={`${query} ${first.data.next}`} client={client} query={query} after={first.data.next} />}
      </section>
    </>
  );
}

/** Older operations, loaded a page at a time on request; they have ended, so they are not refreshed. */
function OlderPages({ client, query, after }: { client: Client; query: string; after: string }) {
  const [older, setOlder] = useState<Operation[]>([]);
  const [next, setNext] = useState<string | null>(after);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  async function more(from: string) {
    setPending(true);
    setError(undefined);
    try {
      const page = await client.get<Page>(`${query}&limit=${PAGE}&after=${encodeURIComponent(from)}`);
      setOlder((o) => [...o, ...page.items]);
      setNext(page.next);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }
  return (
    <>
      {older.length > 0 && <OperationsTable operations={older} />}
      {error && <p className="error" role="alert">Cannot load older operations: {error}</p>}
      {next && <p><button type="button" className="quiet" disabled={pending} onClick={() => void more(next)}>{pending ? 'Loading…' : 'Show older'}</button></p>}
    </>
  );
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === value);
}
