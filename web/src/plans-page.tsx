/**
 * A tenant's plans: policy, bank (by name and site, GET /v1/plan-banks), resources, enabled, and its
 * recovery point objective, set on the plan or implied by the policy's schedule, with whether it is
 * kept (GET /v1/plans/{id}/status, with the last failure's reason when it is not). Members and admins
 * create a plan, edit one (name, policy, bank, RPO, resources), enable or disable one, and delete one
 * after confirming.
 */
import { useCallback, useState } from 'react';
import type { Client } from './client.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { formatDuration } from './format.ts';
import { Link } from './link.tsx';
import { PlanForm } from './plan-form.tsx';
import { ownedBy, type Plan, type PlanBank, type PlanStatus, type Policy, type Resource, type Tenant } from './types.ts';
import { usePoll } from './use-poll.ts';

interface Loaded {
  plans: { plan: Plan; status: PlanStatus | undefined }[];
  policies: Policy[];
  banks: PlanBank[];
  resources: Resource[];
}

const refreshDelay = () => 30_000;

export function PlansPage({ client, tenant, canAct }: { client: Client; tenant: Tenant; canAct: boolean }) {
  const load = useCallback(async (signal: AbortSignal): Promise<Loaded> => {
    const mine = ownedBy(tenant.id);
    const [plans, policies, offerings, resources, banks] = await Promise.all([
      client.list<Plan>('/v1/plans', signal), client.list<Policy>('/v1/policies', signal), client.list<Policy>('/v1/offerings', signal), client.list<Resource>('/v1/resources', signal),
      client.get<{ items: PlanBank[] }>('/v1/plan-banks', signal),
    ]);
    // A status that cannot be had (a policy being changed) leaves that plan's RPO blank, not the page.
    const statuses = await Promise.all(mine(plans).map((p) => client.get<PlanStatus>(`/v1/plans/${encodeURIComponent(p.id)}/status`, signal).catch(() => undefined)));
    const own = mine(policies);
    return {
      plans: mine(plans).map((plan, i) => ({ plan, status: statuses[i] })), policies: [...own, ...offerings.filter((o) => !own.some((p) => p.id === o.id))],
      banks: banks.items, resources: mine(resources),
    };
  }, [client, tenant.id]);
  const { data, error, refresh } = usePoll(load, refreshDelay);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | undefined>();
  const edited = data?.plans.find((p) => p.plan.id === editing);

  return (
    <>
      <div className="card-head">
        <h1>Plans</h1>
        {canAct && !creating && <button type="button" onClick={() => { setEditing(undefined); setCreating(true); }}>New plan</button>}
      </div>
      <p className="muted">{tenant.name}'s resources protected by a policy into a bank.</p>
      {error && <p className="error" role="alert">Cannot load the plans: {error.message}</p>}
      {creating && data && (
        <section className="card" aria-labelledby="new-plan-title">
          <div className="card-head">
            <h2 id="new-plan-title">New plan</h2>
            <button type="button" className="quiet" onClick={() => setCreating(false)}>Close</button>
          </div>
          <PlanForm client={client} tenantId={tenant.id} policies={data.policies} banks={data.banks} resources={data.resources} onSaved={() => { setCreating(false); refresh(); }} />
        </section>
      )}
      {edited && data && (
        <section className="card" aria-labelledby="edit-plan-title">
          <div className="card-head">
            <h2 id="edit-plan-title">Edit plan {edited.plan.name}</h2>
            <button type="button" className="quiet" onClick={() => setEditing(undefined)}>Close</button>
          </div>
          <PlanForm
            key={edited.plan.id} client={client} tenantId={tenant.id} plan={edited.plan} {...(edited.status ? { status: edited.status } : {})}
            policies={data.policies} banks={data.banks} resources={data.resources} onSaved={() => { setEditing(undefined); refresh(); }}
          />
        </section>
      )}
      <section className="card" aria-labelledby="plans-title" aria-busy={!data}>
        <h2 id="plans-title">Plans</h2>
        {!data && !error && <p className="loading" role="status">Loading…</p>}
        {data?.plans.length === 0 && <p className="empty-note">No plans yet: nothing is backed up automatically.{canAct ? ' Create one with New plan.' : ''}</p>}
        {data && data.plans.length > 0 && (
          <div className="table-wrap">
            <table className="operations" aria-label="Plans">
              <thead><tr><th>Name</th><th>Policy</th><th>Bank</th><th>Resources</th><th>Enabled</th><th>RPO</th>{canAct && <th>Actions</th>}</tr></thead>
              <tbody>
                {data.plans.map(({ plan, status }) => (
                  <PlanRow
                    key={plan.id} client={client} plan={plan} status={status} data={data} canAct={canAct} onChanged={refresh}
                    onEdit={() => { setCreating(false); setEditing(plan.id); }}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

interface RowProps { client: Client; plan: Plan; status: PlanStatus | undefined; data: Loaded; canAct: boolean; onChanged: () => void; onEdit: () => void }

function PlanRow({ client, plan, status, data, canAct, onChanged, onEdit }: RowProps) {
  const [error, setError] = useState<string | undefined>();
  const policy = data.policies.find((p) => p.id === plan.policyId);
  const bank = data.banks.find((b) => b.id === plan.bankId);
  const rpo = plan.rpoSeconds ?? status?.rpoSeconds ?? null;
  const names = plan.resourceIds.map((id) => data.resources.find((r) => r.id === id)?.name ?? id);
  const nameId = `plan-${plan.id}`;
  const path = `/v1/plans/${encodeURIComponent(plan.id)}`;

  async function toggle() {
    setError(undefined);
    try {
      await client.patch(path, { enabled: !plan.enabled });
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <tr data-plan-id={plan.id}>
      <td id={nameId}>{plan.name}</td>
      <td>{policy ? <Link to={`/policies/${encodeURIComponent(policy.id)}`}>{policy.name}</Link> : plan.policyId}</td>
      <td data-testid="plan-bank">{bank ? <>{bank.name} <span className="muted small">at {bank.siteName}</span></> : <span className="mono small">{plan.bankId}</span>}</td>
      <td>{names.length ? names.join(', ') : <span className="muted">none</span>}</td>
      <td>{plan.enabled ? 'Yes' : 'No'}</td>
      <td>
        {!status && <span className="muted">unknown</span>}
        {status && !status.outOfRpo && status.rpoSeconds !== null && <span className="state state-succeeded">within RPO</span>}
        {status?.outOfRpo && <span className="state state-failed">out of RPO</span>}
        <div className="small muted" data-testid="plan-rpo">
          {rpo === null ? (status ? 'no RPO: manual backups only' : '') : `RPO ${formatDuration(rpo)}, ${plan.rpoSeconds !== null ? 'set on the plan' : 'from the schedule'}`}
        </div>
        {status?.lastFailure && <div className="small error-text">Last failure: {status.lastFailure.error} (<Link to={`/operations/${encodeURIComponent(status.lastFailure.operationId)}`}>operation</Link>)</div>}
      </td>
      {canAct && (
        <td className="actions">
          <button type="button" className="quiet" aria-describedby={nameId} onClick={onEdit}>Edit</button>
          <button type="button" className="quiet" aria-describedby={nameId} onClick={() => void toggle()}>{plan.enabled ? 'Disable' : 'Enable'}</button>
          <ConfirmButton
            label="Delete…" describedBy={nameId} yes="Delete the plan" no="Keep it" failure="Cannot delete the plan"
            question={<>Delete plan {plan.name}? Its checkpoints stay until deleted or expired.</>}
            action={async () => { await client.delete(path); onChanged(); }}
          />
          {error && <p className="error-text small" role="alert">{error}</p>}
        </td>
      )}
    </tr>
  );
}
