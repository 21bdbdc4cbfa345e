/**
 * One tenant, for operators: its members (added from the user accounts, roles changed, removed after
 * confirming) and its quota, what it uses of it and the form that sets it.
 */
import { useEffect, useState } from 'react';
import { ApiError } from './api.ts';
import type { Client } from './client.ts';
import { Link } from './link.tsx';
import { NotFound } from './not-found.tsx';
import { QuotaCard } from './quota-card.tsx';
import { TenantMembers } from './tenant-members.tsx';
import type { Tenant, User } from './types.ts';

export function TenantPage({ client, id, meId }: { client: Client; id: string; meId: string }) {
  const [tenant, setTenant] = useState<Tenant | undefined>();
  const [users, setUsers] = useState<User[] | undefined>();
  const [error, setError] = useState<ApiError | Error | undefined>();
  const path = `/v1/tenants/${encodeURIComponent(id)}`;

  useEffect(() => {
    const abort = new AbortController();
    Promise.all([client.get<Tenant>(path, abort.signal).then(setTenant), client.list<User>('/v1/users', abort.signal).then(setUsers)])
      .catch((err: unknown) => { if (!abort.signal.aborted) setError(err as Error); });
    return () => abort.abort();
  }, [client, path]);

  if (error instanceof ApiError && error.status === 404) return <NotFound what="Tenant" id={id} back={{ to: '/admin/tenants', label: 'All tenants' }} />;
  return (
    <>
      <p className="breadcrumb"><Link to="/admin/tenants">Tenants</Link> /</p>
      <h1>{tenant?.name ?? 'Tenant'}</h1>
      <p className="muted">Who belongs to this tenant, and how much it may keep.</p>
      {error && <p className="error" role="alert">Cannot load the tenant: {error.message}</p>}
      {!tenant && !error && <p className="loading" role="status">Loading…</p>}
      {tenant && (
        <>
          <QuotaCard client={client} tenantId={tenant.id} canSet />
          <TenantMembers client={client} tenantId={tenant.id} tenantName={tenant.name} canManage users={users} meId={meId} />
        </>
      )}
    </>
  );
}
