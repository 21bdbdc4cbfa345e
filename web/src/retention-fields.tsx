/** The retention rules of a policy, with cairn prune's semantics (docs/prune.md): counts, and keep-within as a duration. */
import { COUNT_RULES, type CountRule, type PolicyDraft } from './policy-draft.ts';

interface Props {
  draft: PolicyDraft;
  onCount: (rule: CountRule, value: string) => void;
  onWithin: (value: string) => void;
}

export function RetentionFields({ draft, onCount, onWithin }: Props) {
  return (
    <fieldset>
      <legend>Retention</legend>
      <p className="muted small">A checkpoint is kept when any rule keeps it; pinned checkpoints are always kept. Empty: the rule is not used.</p>
      <div className="field-row">
        {COUNT_RULES.map(([rule, label, hint]) => (
          <label key={rule} title={hint}>
            <span>{label}</span>
            <input type="number" min={0} inputMode="numeric" value={draft.counts[rule]} onChange={(e) => onCount(rule, e.target.value)} />
          </label>
        ))}
        <label title="every checkpoint younger than this, counted from the newest">
          <span>Keep within</span>
          <input placeholder="7d, 36h, 1y6m" value={draft.keepWithin} onChange={(e) => onWithin(e.target.value)} />
        </label>
      </div>
    </fieldset>
  );
}
