/**
 * A plan as its form holds it, and the bodies the API takes from it: all of it for POST /v1/plans,
 * only what changed for PATCH /v1/plans/{id} (so that a resource added from the Resources page in the
 * meantime is not taken away by an edit of the name). The recovery point objective is typed in minutes,
 * hours or days; empty means "from the policy's schedule" (null).
 */
import type { Plan } from './types.ts';

export const RPO_UNITS = { minutes: 60, hours: 3_600, days: 86_400 } as const;
export type RpoUnit = keyof typeof RPO_UNITS;

export interface PlanDraft {
  name: string;
  policyId: string;
  bankId: string;
  rpoValue: string;
  rpoUnit: RpoUnit;
  resourceIds: string[];
}

/** The largest unit the RPO is a whole number of (minutes when none). */
export function rpoFields(seconds: number | null): { rpoValue: string; rpoUnit: RpoUnit } {
  if (seconds === null) return { rpoValue: '', rpoUnit: 'hours' };
  const unit = (['days', 'hours', 'minutes'] as const).find((u) => seconds % RPO_UNITS[u] === 0) ?? 'minutes';
  return { rpoValue: String(seconds / RPO_UNITS[unit]), rpoUnit: unit };
}

/** Seconds, or null for an empty field: the RPO then comes from the policy's schedule. */
export function rpoSecondsOf(d: Pick<PlanDraft, 'rpoValue' | 'rpoUnit'>): number | null {
  const v = d.rpoValue.trim();
  return v === '' ? null : Math.round(Number(v) * RPO_UNITS[d.rpoUnit]);
}

export function planDraftOf(plan: Plan | undefined, defaults: { policyId: string; bankId: string }): PlanDraft {
  return {
    name: plan?.name ?? '',
    policyId: plan?.policyId ?? defaults.policyId,
    bankId: plan?.bankId ?? defaults.bankId,
    ...rpoFields(plan?.rpoSeconds ?? null),
    resourceIds: plan?.resourceIds ?? [],
  };
}

export interface PlanBody {
  name?: string;
  policyId?: string;
  bankId?: string;
  rpoSeconds?: number | null;
  resourceIds?: string[];
}

/** The body of POST /v1/plans (without tenantId). */
export function newPlanBody(d: PlanDraft): Required<PlanBody> {
  return { name: d.name.trim(), policyId: d.policyId, bankId: d.bankId, rpoSeconds: rpoSecondsOf(d), resourceIds: d.resourceIds };
}

/** The body of PATCH /v1/plans/{id}: the fields that differ from the plan; empty when none does. */
export function planChanges(plan: Plan, d: PlanDraft): PlanBody {
  const next = newPlanBody(d);
  const body: PlanBody = {};
  if (next.name !== plan.name) body.name = next.name;
  if (next.policyId !== plan.policyId) body.policyId = next.policyId;
  if (next.bankId !== plan.bankId) body.bankId = next.bankId;
  if (next.rpoSeconds !== plan.rpoSeconds) body.rpoSeconds = next.rpoSeconds;
  const same = next.resourceIds.length === plan.resourceIds.length && next.resourceIds.every((id) => plan.resourceIds.includes(id));
  if (!same) body.resourceIds = next.resourceIds;
  return body;
}
