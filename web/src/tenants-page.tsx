/**
 * Every tenant (operators): its members and what it uses of its quota, each with a link to its page;
 * and a form to create one (POST /v1/tenants). Members and quotas cost a call per tenant, which is
 * fine for the tens of tenants a server has; the list refreshes every 30 s.
 */
import { useCallback } from 'react';
import type { Client } from './client.ts';
import { formatBytes } from './format.ts';
import { Link } from './link.tsx';
import { NewTenantForm } from './new-tenant-form.tsx';
import type { Member, QuotaUse, Tenant } from './types.ts';
import { usePoll } from './use-poll.ts';

interface Row {
  tenant: Tenant;
  members: number | undefined;
  quota: QuotaUse | undefined;
}

const refreshDelay = () => 30_000;

export function TenantsPage({ client, onCreated }: { client: Client; onCreated: () => void }) {
  const load = useCallback(async (signal: AbortSignal): Promise<Row[]> => {
    const tenants = await client.list<Tenant>('/v1/tenants', signal);
    // One tenant's figures that cannot be had leave its cells blank, not the page.
    return Promise.all(tenants.map(async (tenant) => {
      const path = `/v1/tenants/${encodeURIComponent(tenant.id)}`;
      const [members, quota] = await Promise.all([
        client.get<{ items: Member[] }>(`${path}/members`, signal).then((m) => m.items.length, () => undefined),
        client.get<QuotaUse>(`${path}/quota`, signal).catch(() => undefined),
      ]);
      return { tenant, members, quota };
    }));
  }, [client]);
  const { data, error, refresh } = usePoll(load, refreshDelay);

  return (
    <>
      <h1>Tenants</h1>
      <p className="muted">Every tenant on this server, with its members and what it uses of its quota.</p>
      <section className="card" aria-labelledby="new-tenant-title">
        <h2 id="new-tenant-title">New tenant</h2>
        <NewTenantForm client={client} onCreated={() => { refresh(); onCreated(); }} />
      </section>
      <section className="card" aria-labelledby="tenants-title" aria-busy={!data}>
        <h2 id="tenants-title">Tenants</h2>
        {error && <p className="error" role="alert">Cannot load the tenants: {error.message}</p>}
        {!data && !error && <p className="loading" role="status">Loading…</p>}
        {data?.length === 0 && <p className="empty-note">No tenants yet. Create the first one above, then add users to it.</p>}
        {data && data.length > 0 && (
          <div className="table-wrap">
            <table className="operations" aria-label="Tenants">
              <thead><tr><th>Name</th><th>Members</th><th>Resources</th><th>Checkpoints</th><th>Stored</th></tr></thead>
              <tbody>
                {data.map(({ tenant, members, quota }) => (
                  <tr key={tenant.id} data-tenant-id={tenant.id}>
                    <td><Link to={`/admin/tenants/${encodeURIComponent(tenant.id)}`}>{tenant.name}</Link></td>
                    <td>{members ?? <span className="muted">unknown</span>}</td>
                    <td>{quota ? ofLimit(quota.usage.resources, quota.quota.maxResources, String) : <span className="muted">unknown</span>}</td>
                    <td>{quota ? ofLimit(quota.usage.checkpoints, quota.quota.maxCheckpoints, String) : <span className="muted">unknown</span>}</td>
                    <td>{quota ? ofLimit(quota.usage.storedBytes, quota.quota.maxStoredBytes, formatBytes) : <span className="muted">unknown</span>}</td>
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

/** "3 of 10", or "3" with no limit; at or over the limit in the warning colour. */
function ofLimit(used: number, limit: number | null, show: (n: number) => string) {
  if (limit === null) return <>{show(used)} <span className="muted small">no limit</span></>;
  return <span className={used >= limit ? 'warn' : undefined}>{show(used)} of {show(limit)}</span>;
}
