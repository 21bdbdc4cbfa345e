/**
 * "Add to a plan" for one resource on the Resources page: pick one of the tenant's plans that does not
 * name it yet, and PATCH that plan's resources with it added.
 */
import { useState } from 'react';
import type { Client } from './client.ts';
import { useAction } from './use-action.ts';
import type { Plan } from './types.ts';

export function AddToPlan({ client, resourceId, plans, describedBy, onAdded }: { client: Client; resourceId: string; plans: Plan[]; describedBy: string; onAdded: () => void }) {
  const choices = plans.filter((p) => !p.resourceIds.includes(resourceId));
  const [planId, setPlanId] = useState('');
  const { pending, error, run } = useAction();
  if (choices.length === 0) return null;
  const chosen = choices.find((p) => p.id === planId) ?? choices[0]!;

  const add = () => run(async () => {
    await client.patch(`/v1/plans/${encodeURIComponent(chosen.id)}`, { resourceIds: [...chosen.resourceIds, resourceId] });
    onAdded();
  });

  return (
    <span className="add-to-plan">
      <label>
        <span className="visually-hidden">Plan to add it to</span>
        <select value={chosen.id} aria-describedby={describedBy} onChange={(e) => setPlanId(e.target.value)}>
          {choices.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
        </select>
      </label>
      <button type="button" className="quiet" disabled={pending} aria-describedby={describedBy} onClick={() => void add()}>{pending ? 'Adding…' : 'Add to plan'}</button>
      {error && <span role="alert" className="error-text small">Cannot add: {error}</span>}
    </span>
  );
}
