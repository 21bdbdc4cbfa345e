/**
 * Policies: when to back up, how long to keep, with which options. A tenant's own policies, and the
 * offerings operators publish (tenant_id null) that every tenant may use in its plans.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { CairnError } from '../core/errors.ts';
import { parseDuration, validateRules, type RetentionRules } from '../core/retention.ts';
import { checkTiming, checkTimeZone, cronOf, type Timing } from '../core/schedule.ts';
import { pgCode } from './ids.ts';
import type { Database } from './schema.ts';

/** Retention as users write it: counts, and keepWithin as a duration (30d, 1y6m). */
export interface Retention {
  keepLast?: number; keepHourly?: number; keepDaily?: number; keepWeekly?: number; keepMonthly?: number; keepYearly?: number;
  keepWithin?: string;
}

export interface PolicyInput {
  name: string;
  description?: string;
  schedule?: string | null;
  timeZone?: string;
  retention: Retention;
  options?: Record<string, unknown>;
  timing?: Timing;
}

export interface PolicyRow {
  id: string; tenantId: string | null; name: string; description: string; schedule: string | null; timeZone: string;
  retention: Retention; options: Record<string, unknown>; timing: Timing; createdAt: Date;
}

/** The rules selectRetention takes, checked: throws bad-input naming what to fix. */
export function retentionRules(r: Retention): RetentionRules {
  const { keepWithin, ...counts } = r;
  const rules: RetentionRules = { ...counts, ...(keepWithin !== undefined ? { keepWithin: parseDuration(keepWithin) } : {}) };
  validateRules(rules);
  return rules;
}

function checkPolicy(p: Partial<PolicyInput>): void {
  if (p.retention) retentionRules(p.retention);
  if (p.timeZone !== undefined) checkTimeZone(p.timeZone);
  if (p.schedule) cronOf(p.schedule);
  if (p.timing) checkTiming(p.timing);
}

const columns = ['id', 'tenant_id', 'name', 'description', 'schedule', 'time_zone', 'retention', 'options', 'timing', 'created_at'] as const;
type Row = {
  id: string; tenant_id: string | null; name: string; description: string; schedule: string | null; time_zone: string; retention: Record<string, unknown>;
  options: Record<string, unknown>; timing: Record<string, unknown>; created_at: Date;
};
const policyOf = (r: Row): PolicyRow => ({
  id: r.id, tenantId: r.tenant_id, name: r.name, description: r.description, schedule: r.schedule, timeZone: r.time_zone,
  retention: r.retention, options: r.options, timing: r.timing, createdAt: r.created_at,
});

function named(err: unknown, name: string | undefined): unknown {
  if (pgCode(err) === '23505') return new CairnError('bad-input', `a policy named ${name} exists already: choose another name`);
  return err;
}

/** `tenantId` null publishes an offering. */
export async function createPolicy(db: Kysely<Database>, tenantId: string | null, p: PolicyInput): Promise<PolicyRow> {
  checkPolicy(p);
  try {
    const r = await db.insertInto('policies').values({
      id: randomUUID(), tenant_id: tenantId, name: p.name, description: p.description ?? '', schedule: p.schedule ?? null, time_zone: p.timeZone ?? 'UTC',
      retention: JSON.stringify(p.retention), options: JSON.stringify(p.options ?? {}), timing: JSON.stringify(p.timing ?? {}),
    }).returning(columns).executeTakeFirstOrThrow();
    return policyOf(r);
  } catch (err) {
    throw named(err, p.name);
  }
}

/** Policies by id: those of `tenants` and the offerings (undefined: every one). */
export async function listPolicies(db: Kysely<Database>, filter: { tenants?: string[]; after?: string; limit: number }): Promise<PolicyRow[]> {
  let q = db.selectFrom('policies').select(columns).orderBy('id').limit(filter.limit);
  const tenants = filter.tenants;
  if (tenants) q = q.where((eb) => (tenants.length ? eb.or([eb('tenant_id', 'is', null), eb('tenant_id', 'in', tenants)]) : eb('tenant_id', 'is', null)));
  if (filter.after) q = q.where('id', '>', filter.after);
  return (await q.execute()).map(policyOf);
}

export async function findPolicy(db: Kysely<Database>, id: string): Promise<PolicyRow | undefined> {
  const r = await db.selectFrom('policies').select(columns).where('id', '=', id).executeTakeFirst();
  return r && policyOf(r);
}

export async function updatePolicy(db: Kysely<Database>, id: string, p: Partial<PolicyInput>): Promise<PolicyRow> {
  checkPolicy(p);
  try {
    const r = await db.updateTable('policies').set({
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.schedule !== undefined ? { schedule: p.schedule } : {}),
      ...(p.timeZone !== undefined ? { time_zone: p.timeZone } : {}),
      ...(p.retention !== undefined ? { retention: JSON.stringify(p.retention) } : {}),
      ...(p.options !== undefined ? { options: JSON.stringify(p.options) } : {}),
      ...(p.timing !== undefined ? { timing: JSON.stringify(p.timing) } : {}),
    }).where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
    return policyOf(r);
  } catch (err) {
    throw named(err, p.name);
  }
}

export async function deletePolicy(db: Kysely<Database>, id: string): Promise<void> {
  try {
    await db.deleteFrom('policies').where('id', '=', id).execute();
  } catch (err) {
    if (pgCode(err) !== '23503') throw err;
    const users = await db.selectFrom('plans').select('name').where('policy_id', '=', id).execute();
    throw new CairnError('locked', `plans ${users.map((u) => u.name).join(', ')} use this policy: give them another policy first`);
  }
}
