/** When a scheduled backup may start and when it is full: a daily window, jitter, a full backup every N. */
import type { PolicyDraft } from './policy-draft.ts';

export function TimingFields({ draft, onChange }: { draft: PolicyDraft; onChange: (patch: Partial<PolicyDraft>) => void }) {
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
      </div>
    </fieldset>
  );
}
