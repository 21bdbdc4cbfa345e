/**
 * A bank's upkeep (PATCH /v1/banks/{id} {maintenance}): when garbage collection and verification run
 * (cron or the calendar forms policies use), in which time zone, and how much each verification
 * checks. An empty schedule turns that upkeep off; empty numbers take the API's defaults. The body
 * replaces the whole upkeep, so what is left empty is unset.
 */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import type { Maintenance } from './infrastructure.ts';
import { timeZones } from './schedule-fields.tsx';
import { useAction } from './use-action.ts';

interface Draft { gcSchedule: string; verifySchedule: string; timeZone: string; samplePercent: string; reverifyDays: string }

const draftOf = (m: Maintenance): Draft => ({
  gcSchedule: m.gcSchedule ?? '', verifySchedule: m.verifySchedule ?? '', timeZone: m.timeZone ?? 'UTC',
  samplePercent: m.samplePercent === undefined ? '' : String(m.samplePercent), reverifyDays: m.reverifyDays === undefined ? '' : String(m.reverifyDays),
});

function bodyOf(d: Draft): Maintenance {
  const m: Maintenance = {};
  if (d.gcSchedule.trim()) m.gcSchedule = d.gcSchedule.trim();
  if (d.verifySchedule.trim()) m.verifySchedule = d.verifySchedule.trim();
  if (d.timeZone !== 'UTC') m.timeZone = d.timeZone;
  if (d.samplePercent.trim()) m.samplePercent = Number(d.samplePercent);
  if (d.reverifyDays.trim()) m.reverifyDays = Number(d.reverifyDays);
  return m;
}

interface Props { client: Client; path: string; maintenance: Maintenance; onSaved: () => void }

export function MaintenanceForm({ client, path, maintenance, onSaved }: Props) {
  const [draft, setDraft] = useState(() => draftOf(maintenance));
  const [saved, setSaved] = useState(false);
  const { pending, error, run } = useAction();
  const change = (patch: Partial<Draft>) => { setSaved(false); setDraft((d) => ({ ...d, ...patch })); };
  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await client.patch(path, { maintenance: bodyOf(draft) });
      setSaved(true);
      onSaved();
    });
  };
  return (
    <form aria-label="Upkeep" onSubmit={save}>
      <div className="field-row">
        <label className="grow"><span>Garbage collection schedule</span>
          <input value={draft.gcSchedule} maxLength={200} placeholder="off, e.g. weekly on sun at 04:00" onChange={(e) => change({ gcSchedule: e.target.value })} />
        </label>
        <label className="grow"><span>Verification schedule</span>
          <input value={draft.verifySchedule} maxLength={200} placeholder="off, e.g. daily at 03:00" onChange={(e) => change({ verifySchedule: e.target.value })} />
        </label>
        <label><span>Time zone</span>
          <select value={draft.timeZone} onChange={(e) => change({ timeZone: e.target.value })}>{timeZones(draft.timeZone).map((z) => <option key={z} value={z}>{z}</option>)}</select>
        </label>
      </div>
      <div className="field-row">
        <label><span>Verify percent</span>
          <input type="number" min={1} max={100} step={1} value={draft.samplePercent} placeholder="100" onChange={(e) => change({ samplePercent: e.target.value })} />
        </label>
        <label><span>Skip if verified within (days)</span>
          <input type="number" min={0} step={1} value={draft.reverifyDays} placeholder="0" onChange={(e) => change({ reverifyDays: e.target.value })} />
        </label>
        <button type="submit" disabled={pending}>{pending ? 'Saving…' : 'Save upkeep'}</button>
      </div>
      <p className="muted small">
        Schedules are cron expressions (five fields) or hourly at :MM, daily at HH:MM, weekly on mon,thu at HH:MM, monthly on day D at HH:MM; empty: off.
        Each verification checks that share of the checkpoints, those verified longest ago first, leaving out any verified within the days given.
      </p>
      {error && <p className="error" role="alert">Cannot save the upkeep: {error}</p>}
      {saved && <p role="status" className="small">Saved.</p>}
    </form>
  );
}
