/**
 * What a page shows when the API answers 404 for the item its URL names. The API says the same for an
 * item of another tenant as for none at all, so the page does too: it never tells which.
 */
import { Link } from './link.tsx';

interface Props {
  /** The item, capitalized: "Operation", "Resource", "Checkpoint". */
  what: string;
  id: string;
  back: { to: string; label: string };
}

export function NotFound({ what, id, back }: Props) {
  return (
    <section aria-labelledby="item-not-found">
      <h1 id="item-not-found">{what} not found</h1>
      <p className="error" role="alert">No {what.toLowerCase()} {id} is visible to you: it may belong to another tenant, or the link is wrong.</p>
      <p><Link to={back.to}>{back.label}</Link></p>
    </section>
  );
}
