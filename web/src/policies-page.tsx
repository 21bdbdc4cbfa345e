/**
 * A tenant's policies and the offerings (operators' policies every tenant may use), each with its
 * schedule, time zone and retention; members and admins create one from here.
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { Link } from './link.tsx';
import { ownedBy, type Policy, type Retention, type Tenant } from './types.ts';
import { usePoll } from './use-poll.ts';

const refreshDelay = () => 30_000;

const RULE_WORDS: [keyof Retention, string][] = [
  ['keepLast', 'last'], ['keepWithin', 'within'], ['keepHourly', 'hourly'], ['keepDaily', 'daily'], ['keepWeekly', 'weekly'], ['keepMonthly', 'monthly'], ['keepYearly', 'yearly'],
];

export function retentionSummary(r: Retention): string {
  return RULE_WORDS.filter(([k]) => r[k] !== undefined).map(([k, word]) => `${word} ${String(r[k])}`).join(', ') || 'none';
}

export function PoliciesPage({ client, tenant, canAct }: { client: Client; tenant: Tenant; canAct: boolean }) {
  const load = useCallback(async (signal: AbortSignal) => {
    const [all, offerings] = await Promise.all([client.list<Policy>('/v1/policies', signal), client.list<Policy>('/v1/offerings', signal)]);
    return { own: ownedBy(tenant.id)(all), offerings };
  }, [client, tenant.id]);
  const { data, error } = usePoll(load, refreshDelay);

  return (
    <>
      <div className="card-head">
        <h1>Policies</h1>
        {canAct && <Link className="button" to="/policies/new">New policy</Link>}
      </div>
      <p className="muted">When {tenant.name}'s plans back up, and how long their checkpoints are kept.</p>
      {error && <p className="error" role="alert">Cannot load the policies: {error.message}</p>}
      <PolicyList title="Your policies" policies={data?.own} empty={`No policies yet.${canAct ? ' Create one with New policy.' : ''}`} />
      <PolicyList title="Offerings" policies={data?.offerings} empty="Your operators offer no policies." />
    </>
  );
}

function PolicyList({ title, policies, empty }: { title: string; policies: Policy[] | undefined; empty: string }) {
  const id = `${title.replace(/\W+/g, '-').toLowerCase()}-title`;
  return (
    <section className="card" aria-labelledby={id} aria-busy={!policies}>
      <h2 id={id}>{title}</h2>
      {!policies && <p className="loading">Loading…</p>}
      {policies?.length === 0 && <p className="empty-note">{empty}</p>}
      {policies && policies.length > 0 && (
        <div className="table-wrap">
          <table className="operations" aria-label={title}>
            <thead><tr><th>Name</th><th>Schedule</th><th>Time zone</th><th>Retention</th></tr></thead>
            <tbody>
              {policies.map((p) => (
                <tr key={p.id} data-policy-id={p.id}>
                  <td><Link to={`/policies/${encodeURIComponent(p.id)}`}>{p.name}</Link></td>
                  <td className="mono small">{p.schedule ?? 'manual'}</td>
                  <td>{p.timeZone}</td>
                  <td>{retentionSummary(p.retention)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
