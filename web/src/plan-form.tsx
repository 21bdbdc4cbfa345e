/**
 * A plan's form, to create one or change one: a name, a policy (the tenant's or an offering), the bank
 * its checkpoints go to (GET /v1/plan-banks: names and sites only; a new plan starts on the server's
 * default bank), its recovery point objective (empty: what the policy's schedule implies), and
 * resources picked from the tenant's. A change sends only what changed (PATCH /v1/plans/{id}).
 */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import { formatDuration } from './format.ts';
import { newPlanBody, planChanges, planDraftOf, RPO_UNITS, type PlanDraft, type RpoUnit } from './plan-draft.ts';
import type { Plan, PlanBank, PlanStatus, Policy, Resource } from './types.ts';

interface Props {
  client: Client;
  tenantId: string;
  /** Absent: a new plan. */
  plan?: Plan;
  /** The plan's status, to say what RPO its schedule implies. */
  status?: PlanStatus;
  policies: Policy[];
  banks: PlanBank[];
  resources: Resource[];
  onSaved: (plan: Plan) => void;
}

export function PlanForm({ client, tenantId, plan, status, policies, banks, resources, onSaved }: Props) {
  const [draft, setDraft] = useState<PlanDraft>(() => planDraftOf(plan, { policyId: policies[0]?.id ?? '', bankId: banks.find((b) => b.default)?.id ?? '' }));
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const change = (patch: Partial<PlanDraft>) => setDraft((d) => ({ ...d, ...patch }));

  async function save(e: FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      if (plan) {
        const body = planChanges(plan, draft);
        onSaved(Object.keys(body).length ? await client.patch<Plan>(`/v1/plans/${encodeURIComponent(plan.id)}`, body) : plan);
      } else {
        onSaved(await client.post<Plan>('/v1/plans', { tenantId, ...newPlanBody(draft) }));
      }
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  if (policies.length === 0) return <p className="empty-note">A plan needs a policy: create one on the Policies page first.</p>;
  // The plan's own resources stay listed even when a discovery no longer finds them, so a save keeps them.
  const listed = resources.filter((r) => r.missingSince === null || draft.resourceIds.includes(r.id));
  const unknown = draft.resourceIds.filter((id) => !resources.some((r) => r.id === id));
  const toggle = (id: string) => change({ resourceIds: draft.resourceIds.includes(id) ? draft.resourceIds.filter((x) => x !== id) : [...draft.resourceIds, id] });
  const implied = status?.rpoFromSchedule && status.rpoSeconds !== null && draft.policyId === plan?.policyId ? ` (now ${formatDuration(status.rpoSeconds)})` : '';
  const label = plan ? `Plan ${plan.name}` : 'New plan';
  return (
    <form className="plan-form" aria-label={label} onSubmit={(e) => void save(e)}>
      <div className="field-row">
        {/* The form was just opened for this: typing starts here. */}
        <label className="grow"><span>Plan name</span><input required maxLength={100} autoFocus value={draft.name} onChange={(e) => change({ name: e.target.value })} /></label>
        <label>
          <span>Policy</span>
          <select value={draft.policyId} onChange={(e) => change({ policyId: e.target.value })}>
            {policies.map((p) => <option key={p.id} value={p.id}>{p.name}{p.tenantId === null ? ' (offering)' : ''}</option>)}
          </select>
        </label>
        <label>
          <span>Bank</span>
          <select required value={draft.bankId} onChange={(e) => change({ bankId: e.target.value })}>
            {!banks.some((b) => b.id === draft.bankId) && <option value={draft.bankId}>{draft.bankId ? `bank ${draft.bankId}` : 'Choose a bank'}</option>}
            {banks.map((b) => <option key={b.id} value={b.id}>{b.name} at {b.siteName}{b.default ? ' (default)' : ''}</option>)}
          </select>
        </label>
      </div>
      {plan && draft.bankId !== plan.bankId && <p className="notice small">In another bank, the next backup of each resource is a full one; the checkpoints already made stay where they are.</p>}
      <fieldset className="rpo">
        <legend>Recovery point objective</legend>
        <div className="field-row">
          <label title="the age of the newest good checkpoint past which the plan is out of its RPO">
            <span>At most</span>
            <input
              type="number" min={60 / RPO_UNITS[draft.rpoUnit]} step="any" value={draft.rpoValue}
              aria-describedby="rpo-hint" onChange={(e) => change({ rpoValue: e.target.value })}
            />
          </label>
          <label>
            <span>Unit</span>
            <select value={draft.rpoUnit} onChange={(e) => change({ rpoUnit: e.target.value as RpoUnit })}>
              {(Object.keys(RPO_UNITS) as RpoUnit[]).map((u) => <option key={u} value={u}>{u}</option>)}
            </select>
          </label>
        </div>
        <p id="rpo-hint" className="muted small">Leave it empty for the RPO the policy's schedule implies{implied}: 1.5 times the longest gap between its runs, plus jitter.</p>
      </fieldset>
      <fieldset>
        <legend>Resources</legend>
        {listed.length === 0 && unknown.length === 0 && <p className="muted small">No resources to protect yet.</p>}
        {listed.map((r) => (
          <label key={r.id} className="check">
            <input type="checkbox" checked={draft.resourceIds.includes(r.id)} onChange={() => toggle(r.id)} /> {r.name}{r.missingSince !== null && <span className="tag warn">gone</span>}
          </label>
        ))}
        {unknown.map((id) => (
          <label key={id} className="check">
            <input type="checkbox" checked onChange={() => toggle(id)} /> <span className="mono small">{id}</span>
          </label>
        ))}
      </fieldset>
      {error && <p className="error" role="alert">Cannot {plan ? 'save' : 'create'} the plan: {error}</p>}
      <button type="submit" disabled={pending}>{plan ? (pending ? 'Saving…' : 'Save changes') : (pending ? 'Creating…' : 'Create plan')}</button>
    </form>
  );
}
