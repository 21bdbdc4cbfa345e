/**
 * Offerings for operators (/admin/offerings): the policies published for every tenant's plans
 * (GET /v1/offerings), and which tenants' plans use each, so that an operator sees whom a change
 * touches before making it on the policy's page. New offering opens the policy form without a tenant.
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { Link } from './link.tsx';
import { retentionSummary } from './policies-page.tsx';
import type { Plan, Policy, Tenant } from './types.ts';
import { usePoll } from './use-poll.ts';

interface Loaded { offerings: Policy[]; plans: Plan[]; tenants: Tenant[] }

const refreshDelay = () => 30_000;

export function OfferingsPage({ client }: { client: Client }) {
  const load = useCallback(async (signal: AbortSignal): Promise<Loaded> => {
    const [offerings, plans, tenants] = await Promise.all([client.list<Policy>('/v1/offerings', signal), client.list<Plan>('/v1/plans', signal), client.list<Tenant>('/v1/tenants', signal)]);
    return { offerings, plans, tenants };
  }, [client]);
  const { data, error } = usePoll(load, refreshDelay);

  return (
    <>
      <div className="card-head">
        <h1>Offerings</h1>
        <Link className="button" to="/admin/offerings/new">New offering</Link>
      </div>
      <p className="muted">Policies offered to every tenant: their plans may use them, and only operators change them.</p>
      {error && <p className="error" role="alert">Cannot {data ? 'refresh' : 'load'} the offerings: {error.message}</p>}
      <section className="card" aria-labelledby="offerings-title" aria-busy={!data}>
        <h2 id="offerings-title">Offerings</h2>
        {!data && !error && <p className="loading" role="status">Loading…</p>}
        {data?.offerings.length === 0 && <p className="empty-note">No offerings yet: tenants only have their own policies. Create one with New offering.</p>}
        {data && data.offerings.length > 0 && (
          <div className="table-wrap">
            <table className="operations" aria-label="Offerings">
              <thead><tr><th>Name</th><th>Schedule</th><th>Time zone</th><th>Retention</th><th>Used by</th></tr></thead>
              <tbody>
                {data.offerings.map((p) => (
                  <tr key={p.id} data-policy-id={p.id}>
                    <td><Link to={`/policies/${encodeURIComponent(p.id)}`}>{p.name}</Link>{p.description && <div className="small muted">{p.description}</div>}</td>
                    <td className="mono small">{p.schedule ?? 'manual'}</td>
                    <td>{p.timeZone}</td>
                    <td>{retentionSummary(p.retention)}</td>
                    <td><UsedBy plans={data.plans.filter((x) => x.policyId === p.id)} tenants={data.tenants} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

/** The tenants whose plans use an offering, with how many plans each. */
function UsedBy({ plans, tenants }: { plans: Plan[]; tenants: Tenant[] }) {
  if (plans.length === 0) return <span className="muted">no plan</span>;
  const counts = new Map<string, number>();
  for (const p of plans) counts.set(p.tenantId, (counts.get(p.tenantId) ?? 0) + 1);
  return <>{[...counts].map(([t, n]) => `${tenants.find((x) => x.id === t)?.name ?? t} (${n} plan${n === 1 ? '' : 's'})`).join(', ')}</>;
}
