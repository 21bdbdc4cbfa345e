/**
 * A policy's form, to create one or change one: name, the schedule builder with its next runs, timing
 * and retention. Someone who may not change the policy (a viewer; anyone but an operator for an
 * offering) sees the same form read-only, without a save button.
 */
import { useState, type FormEvent } from 'react';
import type { Client } from './client.ts';
import { NextRuns } from './next-runs.tsx';
import { OfferingOptionsField, optionsText, parseOptions } from './offering-options-field.tsx';
import { bodyOf, draftOf, retentionOf, timingOf, type PolicyDraft } from './policy-draft.ts';
import { RetentionFields } from './retention-fields.tsx';
import { RetentionPreview } from './retention-preview.tsx';
import { ScheduleFields } from './schedule-fields.tsx';
import { scheduleText } from './schedule-form.ts';
import { TimingFields } from './timing-fields.tsx';
import type { Policy } from './types.ts';

interface Props {
  client: Client;
  /** Absent: a new policy of `tenantId`. */
  policy?: Policy;
  /** null: a new offering (posted without a tenant; operators only). */
  tenantId: string | null;
  canEdit: boolean;
  onSaved: (p: Policy) => void;
}

export function PolicyForm({ client, policy, tenantId, canEdit, onSaved }: Props) {
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(policy));
  // An offering's backup options (operators'), kept apart from the draft: tenants' policies do not show them.
  const offering = policy ? policy.tenantId === null : tenantId === null;
  const [options, setOptions] = useState(() => optionsText(policy?.options));
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);
  const change = (patch: Partial<PolicyDraft>) => { setSaved(false); setDraft((d) => ({ ...d, ...patch })); };

  async function save(e: FormEvent) {
    e.preventDefault();
    const parsed = offering ? parseOptions(options) : undefined;
    if (parsed && 'error' in parsed) {
      setError(parsed.error);
      return;
    }
    setPending(true);
    setError(undefined);
    try {
      const body = { ...bodyOf(draft), ...(parsed ? { options: parsed.options } : {}) };
      const p = policy
        ? await client.patch<Policy>(`/v1/policies/${encodeURIComponent(policy.id)}`, body)
        : await client.post<Policy>('/v1/policies', tenantId === null ? body : { ...body, tenantId });
      setSaved(true);
      onSaved(p);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  const timing = timingOf(draft);
  return (
    <>
      <form className="policy-form card" onSubmit={(e) => void save(e)} aria-label={policy ? `Policy ${policy.name}` : tenantId === null ? 'New offering' : 'New policy'}>
        <fieldset disabled={!canEdit} className="bare">
          <div className="field-row">
            <label className="grow"><span>Name</span><input required maxLength={100} value={draft.name} onChange={(e) => change({ name: e.target.value })} /></label>
            <label className="grow"><span>Description</span><input maxLength={1000} value={draft.description} onChange={(e) => change({ description: e.target.value })} /></label>
          </div>
          <ScheduleFields form={draft.schedule} timeZone={draft.timeZone} onChange={(schedule) => change({ schedule })} onTimeZone={(timeZone) => change({ timeZone })} />
          <NextRuns client={client} schedule={scheduleText(draft.schedule)} timeZone={draft.timeZone} window={timing.window} />
          <TimingFields draft={draft} onChange={change} />
          <RetentionFields draft={draft} onCount={(rule, v) => change({ counts: { ...draft.counts, [rule]: v } })} onWithin={(keepWithin) => change({ keepWithin })} />
          {offering && canEdit && <OfferingOptionsField value={options} onChange={(text) => { setSaved(false); setOptions(text); }} />}
        </fieldset>
        {error && <p className="error" role="alert">Cannot save the policy: {error}</p>}
        {saved && <p role="status" className="small">Saved.</p>}
        {canEdit && <button type="submit" disabled={pending}>{pending ? 'Saving…' : policy ? 'Save changes' : tenantId === null ? 'Create offering' : 'Create policy'}</button>}
      </form>
      {policy && <RetentionPreview client={client} policyId={policy.id} retention={retentionOf(draft)} timeZone={draft.timeZone} />}
    </>
  );
}
