/** A health as a badge, its words readable by everyone (the colour only repeats them). */
import { healthClass, type Health } from './infrastructure.ts';

export function HealthBadge({ health }: { health: Health }) {
  return <span className={healthClass(health)} data-health={health.tone}>{health.label}</span>;
}
