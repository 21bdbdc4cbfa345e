/**
 * When a scheduled backup may start and when it is full: a daily window, jitter, a full backup every N
 * backups, and on some weekdays (the first backup of each such day, in the policy's time zone).
 */
import type { PolicyDraft } from './policy-draft.ts';
import { WEEKDAYS, type Weekday } from './schedule-form.ts';

const DAY_NAMES: Record<Weekday, [string, string]> = {
  mon: ['Mon', 'Monday'], tue: ['Tue', 'Tuesday'], wed: ['Wed', 'Wednesday'], thu: ['Thu', 'Thursday'], fri: ['Fri', 'Friday'], sat: ['Sat', 'Saturday'], sun: ['Sun', 'Sunday'],
};

export function TimingFields({ draft, onChange }: { draft: PolicyDraft; onChange: (patch: Partial<PolicyDraft>) => void }) {
  const toggleDay = (day: Weekday) => onChange({ fullOn: draft.fullOn.includes(day) ? draft.fullOn.filter((d) => d !== day) : [...draft.fullOn, day] });
  return (
    <fieldset>
      <legend>Timing</legend>
      <label className="check">
        <input type="checkbox" checked={draft.windowOn} onChange={(e) => onChange({ windowOn: e.target.checked })} /> Only start backups within a daily window
      </label>
      <div className="field-row">
        {draft.windowOn && (
          <>
            <label><span>Window from</span><input type="time" required value={draft.windowStart} onChange={(e) => onChange({ windowStart: e.target.value })} /></label>
            <label><span>Window until</span><input type="time" required value={draft.windowEnd} onChange={(e) => onChange({ windowEnd: e.target.value })} /></label>
          </>
        )}
        <label title="each scheduled backup starts up to this late, at random, so plans on one tick spread out">
          <span>Jitter (seconds)</span>
          <input type="number" min={0} max={86400} value={draft.jitterSeconds} onChange={(e) => onChange({ jitterSeconds: e.target.value })} />
        </label>
        <label title="a full backup when a resource's chain holds this many checkpoints; empty: incremental forever">
          <span>Full every N backups</span>
          <input type="number" min={1} value={draft.fullEvery} onChange={(e) => onChange({ fullEvery: e.target.value })} />
        </label>
        <fieldset className="bare days" aria-describedby="full-on-hint">
          <legend>Full on</legend>
          {WEEKDAYS.map((day) => (
            <label key={day} className="check" title={DAY_NAMES[day][1]}>
              <input type="checkbox" checked={draft.fullOn.includes(day)} aria-label={`Full on ${DAY_NAMES[day][1]}`} onChange={() => toggleDay(day)} /> {DAY_NAMES[day][0]}
            </label>
          ))}
        </fieldset>
      </div>
      <p id="full-on-hint" className="muted small">Full on: the first backup of each day ticked (in the policy's time zone) is a full one. With no day ticked and no N, backups after the first stay incremental.</p>
    </fieldset>
  );
}
