/**
 * A new plan: a name, a policy (the tenant's or an offering), and resources picked from the tenant's.
 * The bank is the server's default (the only one, or `local`): choosing among banks is an operator's
 * matter, and tenants cannot list them.
 */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import type { Plan, Policy, Resource } from './types.ts';

interface Props {
  client: Client;
  tenantId: string;
  policies: Policy[];
  resources: Resource[];
  onCreated: (plan: Plan) => void;
}

export function PlanForm({ client, tenantId, policies, resources, onCreated }: Props) {
  const [name, setName] = useState('');
  const [policyId, setPolicyId] = useState(policies[0]?.id ?? '');
  const [picked, setPicked] = useState<string[]>([]);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();

  async function create(e: FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      const plan = await client.post<Plan>('/v1/plans', { tenantId, name: name.trim(), policyId, resourceIds: picked });
      setName('');
      setPicked([]);
      onCreated(plan);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  if (policies.length === 0) return <p className="empty-note">A plan needs a policy: create one on the Policies page first.</p>;
  const present = resources.filter((r) => r.missingSince === null);
  return (
    <form className="plan-form" aria-label="New plan" onSubmit={(e) => void create(e)}>
      <div className="field-row">
        <label className="grow"><span>Plan name</span><input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>
          <span>Policy</span>
          <select value={policyId} onChange={(e) => setPolicyId(e.target.value)}>
            {policies.map((p) => <option key={p.id} value={p.id}>{p.name}{p.tenantId === null ? ' (offering)' : ''}</option>)}
          </select>
        </label>
      </div>
      <fieldset>
        <legend>Resources</legend>
        {present.length === 0 && <p className="muted small">No resources to protect yet.</p>}
        {present.map((r) => (
          <label key={r.id} className="check">
            <input type="checkbox" checked={picked.includes(r.id)} onChange={() => setPicked((p) => (p.includes(r.id) ? p.filter((x) => x !== r.id) : [...p, r.id]))} /> {r.name}
          </label>
        ))}
      </fieldset>
      {error && <p className="error" role="alert">Cannot create the plan: {error}</p>}
      <button type="submit" disabled={pending}>{pending ? 'Creating…' : 'Create plan'}</button>
    </form>
  );
}
