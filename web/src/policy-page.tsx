/**
 * One policy at /policies/{id} (GET /v1/policies/{id}), or a new one at /policies/new. A policy of
 * another tenant, or none, answers 404 and the page says it is not found, as the API does.
 */
import { useCallback } from 'react';
import { ApiError } from './api.ts';
import type { Client } from './client.ts';
import { Link } from './link.tsx';
import { NotFound } from './not-found.tsx';
import { PolicyForm } from './policy-form.tsx';
import { navigate } from './router.ts';
import type { Policy, Tenant } from './types.ts';
import { usePoll } from './use-poll.ts';

// The form holds the user's edits: the policy is loaded once, not refreshed under them.
const never = () => 2 ** 31 - 1;

interface Props {
  client: Client;
  id: string | undefined;
  tenant: Tenant;
  mayAct: (tenantId: string | null) => boolean;
  operator: boolean;
}

export function PolicyPage({ client, id, tenant, mayAct, operator }: Props) {
  const load = useCallback((signal: AbortSignal) => (id ? client.get<Policy>(`/v1/policies/${encodeURIComponent(id)}`, signal) : Promise.resolve(undefined)), [client, id]);
  const { data, error } = usePoll(load, never);
  const back = <p className="breadcrumb"><Link to="/policies">Policies</Link> ›</p>;

  if (!id) {
    return (
      <>
        {back}
        <h1>New policy</h1>
        <PolicyForm client={client} tenantId={tenant.id} canEdit={mayAct(tenant.id)} onSaved={(p) => navigate(`/policies/${encodeURIComponent(p.id)}`, { replace: true })} />
      </>
    );
  }
  if (error instanceof ApiError && error.status === 404) return <NotFound what="Policy" id={id} back={{ to: '/policies', label: 'See your policies' }} />;
  const canEdit = data !== undefined && (data.tenantId === null ? operator : mayAct(data.tenantId));
  return (
    <>
      {back}
      <h1>{data ? data.name : 'Policy'}</h1>
      {data?.tenantId === null && <p className="muted">An offering: a policy operators publish for every tenant's plans{operator ? '' : '; only operators change it'}.</p>}
      {error && <p className="error" role="alert">Cannot load the policy: {error.message}</p>}
      {!data && !error && <p className="loading" role="status">Loading…</p>}
      {data && <PolicyForm key={data.id} client={client} policy={data} tenantId={data.tenantId ?? tenant.id} canEdit={canEdit} onSaved={() => undefined} />}
    </>
  );
}
