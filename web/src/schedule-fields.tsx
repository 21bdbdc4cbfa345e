/**
 * The schedule builder: how often (manual, hourly, daily, weekly, monthly, or a raw cron expression),
 * the fields that form needs, and the time zone the schedule and retention periods are counted in.
 */
import { WEEKDAYS, type ScheduleForm, type ScheduleKind } from './schedule-form.ts';

const KIND_NAMES: Record<ScheduleKind, string> = {
  manual: 'Manual backups only', hourly: 'Every hour', daily: 'Every day', weekly: 'Every week', monthly: 'Every month', cron: 'Cron expression',
};
const DAY_NAMES: Record<(typeof WEEKDAYS)[number], string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

/** The browser's list of IANA zones; the policy's own zone stays listed even where the browser lacks it. */
export function timeZones(current: string): string[] {
  const all = Intl.supportedValuesOf('timeZone');
  return ['UTC', ...all.filter((z) => z !== 'UTC'), ...(all.includes(current) || current === 'UTC' ? [] : [current])];
}

interface Props {
  form: ScheduleForm;
  timeZone: string;
  onChange: (form: ScheduleForm) => void;
  onTimeZone: (timeZone: string) => void;
}

export function ScheduleFields({ form, timeZone, onChange, onTimeZone }: Props) {
  const set = (patch: Partial<ScheduleForm>) => onChange({ ...form, ...patch });
  const toggleDay = (d: (typeof WEEKDAYS)[number]) => set({ days: form.days.includes(d) ? form.days.filter((x) => x !== d) : [...form.days, d] });
  return (
    <fieldset>
      <legend>Schedule</legend>
      <div className="field-row">
        <label>
          <span>Back up</span>
          <select value={form.kind} onChange={(e) => set({ kind: e.target.value as ScheduleKind })}>
            {Object.entries(KIND_NAMES).map(([k, name]) => <option key={k} value={k}>{name}</option>)}
          </select>
        </label>
        {form.kind === 'hourly' && (
          <label><span>At minute</span><input type="number" min={0} max={59} value={form.minute} onChange={(e) => set({ minute: e.target.value })} /></label>
        )}
        {form.kind === 'monthly' && (
          <label>
            <span>On day</span>
            <select value={form.dayOfMonth} onChange={(e) => set({ dayOfMonth: e.target.value })}>
              {Array.from({ length: 31 }, (_, i) => String(i + 1)).map((d) => <option key={d} value={d}>{d}</option>)}
              <option value="last">last</option>
            </select>
          </label>
        )}
        {(form.kind === 'daily' || form.kind === 'weekly' || form.kind === 'monthly') && (
          <label><span>At</span><input type="time" required value={form.time} onChange={(e) => set({ time: e.target.value })} /></label>
        )}
        {form.kind === 'cron' && (
          <label className="grow">
            <span>Cron expression (minute hour day month weekday)</span>
            <input className="mono" required value={form.cron} onChange={(e) => set({ cron: e.target.value })} />
          </label>
        )}
        {form.kind !== 'manual' && (
          <label>
            <span>Time zone</span>
            <select value={timeZone} onChange={(e) => onTimeZone(e.target.value)}>
              {timeZones(timeZone).map((z) => <option key={z} value={z}>{z}</option>)}
            </select>
          </label>
        )}
      </div>
      {form.kind === 'weekly' && (
        <fieldset className="days">
          <legend>On days</legend>
          {WEEKDAYS.map((d) => (
            <label key={d} className="check"><input type="checkbox" checked={form.days.includes(d)} onChange={() => toggleDay(d)} /> {DAY_NAMES[d]}</label>
          ))}
        </fieldset>
      )}
    </fieldset>
  );
}
