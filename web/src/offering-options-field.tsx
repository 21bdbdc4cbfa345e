/**
 * An offering's backup options, as JSON: the options of every resource type its plans may protect
 * (see each type's backupOptionsSchema in GET /v1/protectables), including those only operators set,
 * which name paths on the hosts (scratchDir, nbdSocket). Text that is not a JSON object is refused
 * here, with where it is wrong, and nothing is sent.
 */
import { useId } from 'react';

export type ParsedOptions = { options: Record<string, unknown> } | { error: string };

export function parseOptions(text: string): ParsedOptions {
  if (text.trim() === '') return { options: {} };
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return { options: v as Record<string, unknown> };
    return { error: 'the backup options are a JSON object, e.g. {"scratchDir": "/var/tmp/cairn"}' };
  } catch (err) {
    return { error: `the backup options are not valid JSON: ${(err as Error).message}` };
  }
}

export const optionsText = (options: Record<string, unknown> | undefined): string => (options && Object.keys(options).length ? JSON.stringify(options, null, 2) : '');

export function OfferingOptionsField({ value, onChange }: { value: string; onChange: (text: string) => void }) {
  const help = useId();
  const parsed = parseOptions(value);
  return (
    <fieldset>
      <legend>Backup options</legend>
      <label className="stacked">
        <span>Options (JSON)</span>
        <textarea className="mono small" rows={4} value={value} placeholder='{"quiesce": true, "scratchDir": "/var/tmp/cairn"}' aria-describedby={help} aria-invalid={'error' in parsed ? true : undefined} onChange={(e) => onChange(e.target.value)} />
      </label>
      <p id={help} className={'error' in parsed ? 'error-text small' : 'muted small'}>
        {'error' in parsed ? parsed.error : 'Only operators set these, in offerings: quiesce, scratchDir (servers), nbdSocket (volumes), exclude (file sets). Empty: none.'}
      </p>
    </fieldset>
  );
}
