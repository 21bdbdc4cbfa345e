/**
 * A button whose action is asked for twice: the first press opens a confirmation that says what will
 * happen, with the safe choice focused (Escape or "No" closes it, and focus returns to the button), so
 * a stray click or Enter never deletes or cancels anything. The action's error shows in the confirmation.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useAction } from './use-action.ts';

interface Props {
  /** The first button's text, ending in "…" since it asks before acting. */
  label: string;
  question: ReactNode;
  yes: string;
  no: string;
  /** What "yes" does; a rejection shows as "Cannot …: message" under `failure`. */
  action: () => Promise<void>;
  failure: string;
  /** Extra words for a screen reader on the first button (which item it acts on). */
  describedBy?: string;
}

export function ConfirmButton({ label, question, yes, no, action, failure, describedBy }: Props) {
  const [confirming, setConfirming] = useState(false);
  const { pending, error, run } = useAction();
  const keep = useRef<HTMLButtonElement>(null);
  const open = useRef<HTMLButtonElement>(null);
  const wasConfirming = useRef(false);
  const questionId = useId();

  useEffect(() => {
    if (confirming) keep.current?.focus();
    else if (wasConfirming.current) open.current?.focus();
    wasConfirming.current = confirming;
  }, [confirming]);

  // Closed only once the action succeeded: a refusal stays in the confirmation, beside the choice.
  const act = () => run(async () => {
    await action();
    setConfirming(false);
  });

  if (!confirming) {
    return <button type="button" className="danger" ref={open} aria-describedby={describedBy} onClick={() => setConfirming(true)}>{label}</button>;
  }
  return (
    <div className="confirm" role="group" aria-labelledby={questionId} onKeyDown={(e) => { if (e.key === 'Escape') setConfirming(false); }}>
      <p id={questionId}>{question}</p>
      {error && <p className="error" role="alert">{failure}: {error}</p>}
      <button type="button" className="danger" disabled={pending} onClick={() => void act()}>{pending ? 'Working…' : yes}</button>
      <button type="button" className="quiet" ref={keep} disabled={pending} onClick={() => setConfirming(false)}>{no}</button>
    </div>
  );
}
