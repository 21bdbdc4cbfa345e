/**
 * Previews for a policy being written, before it is saved: when an unsaved schedule would run, and
 * which existing checkpoints an unsaved retention would keep. Both only read: they compute with the
 * same code the scheduler and expiry run (core/schedule.ts, catalog/expiry.ts) and change nothing.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Catalog } from '../../catalog/catalog.ts';
import { expirySelection } from '../../catalog/expiry.ts';
import { listPlans } from '../../catalog/plans.ts';
import { checkTiming, checkTimeZone, cronOf, inWindow, nextRuns } from '../../core/schedule.ts';
import { visibleTenants } from '../scope.ts';
import { Clock, policyFor, Retention } from './policies.ts';

/** Ticks looked at to find `count` inside a window: a minutely schedule with a one-hour window still finds some. */
const TICKS_SCANNED = 2_000;

const ScheduleBody = z.object({
  schedule: z.string().max(200).describe('as a policy\'s schedule: cron (five fields) or hourly at :MM, daily at HH:MM, weekly on mon,thu at HH:MM, monthly on day D at HH:MM'),
  timeZone: z.string().default('UTC'),
  window: z.object({ start: Clock, end: Clock }).optional().describe('only ticks inside this daily window of local times'),
  count: z.number().int().min(1).max(50).default(5),
}).strict();

const Verdict = z.object({
  id: z.string(), name: z.string(), resourceId: z.string(), bankId: z.string(), createdAt: z.iso.datetime(), pinned: z.boolean(),
  keep: z.boolean(), reasons: z.array(z.string()).describe('why it is kept: pinned, last, within, hourly, daily, weekly, monthly, yearly; empty: it would expire'),
});

export function previewRoutes(catalog: Catalog): FastifyPluginAsyncZod {
  return (app) => {
    const db = catalog.db;

    app.post('/schedules/preview', {
      schema: {
        summary: 'The next runs of a schedule that is not saved yet (changes nothing)', body: ScheduleBody,
        response: { 200: z.object({ cron: z.string(), timeZone: z.string(), nextRuns: z.array(z.iso.datetime()) }) },
      },
    }, (request) => {
      const { schedule, timeZone, window, count } = request.body;
      checkTimeZone(timeZone);
      const cron = cronOf(schedule);
      if (window) checkTiming({ window });
      const runs = nextRuns(schedule, timeZone, window ? TICKS_SCANNED : count).filter((d) => inWindow(d, window, timeZone)).slice(0, count);
      return Promise.resolve({ cron, timeZone, nextRuns: runs.map((d) => d.toISOString()) });
    });

    app.post('/policies/:id/retention-preview', {
      schema: {
        summary: 'What a retention would keep and expire of the checkpoints of the plans that use this policy (changes nothing)',
        params: z.object({ id: z.string() }),
        body: z.object({ retention: Retention, timeZone: z.string().optional().describe('default: the policy\'s') }).strict(),
        response: { 200: z.object({ timeZone: z.string(), checkpoints: z.array(Verdict) }) },
      },
    }, async (request) => {
      const policy = await policyFor(db, request, request.params.id, 'viewer');
      const timeZone = request.body.timeZone ?? policy.timeZone;
      checkTimeZone(timeZone);
      // An offering's plans belong to many tenants: the caller sees only its own tenants' checkpoints.
      const tenants = visibleTenants(request);
      const plans = await listPlans(db, { limit: 100_000, policyId: policy.id, ...(tenants ? { tenants } : {}) });
      const pairs = new Map(plans.flatMap((p) => p.resourceIds.map((r) => [`${r} ${p.bankId}`, { resourceId: r, bankId: p.bankId }] as const)));
      const checkpoints: z.infer<typeof Verdict>[] = [];
      for (const { resourceId, bankId } of pairs.values()) {
        const { held, selection } = await expirySelection(db, resourceId, bankId, request.body.retention, timeZone);
        const reasons = new Map(selection.keep.map((k) => [k.id, k.reasons]));
        for (const c of held) {
          const why = reasons.get(c.id) ?? [];
          checkpoints.push({ id: c.id, name: c.name, resourceId, bankId, createdAt: (c.completedAt ?? c.createdAt).toISOString(), pinned: c.pinned, keep: why.length > 0, reasons: why });
        }
      }
      checkpoints.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return { timeZone, checkpoints };
    });
    return Promise.resolve();
  };
}
