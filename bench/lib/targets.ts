import { fmt } from './stats.js';

/** A target of the issue, next to what was measured. */
export interface TargetCheck {
  /** What is measured, e.g. `Express: Redis store / limit`. */
  what: string;
  /** The target, e.g. `≥ 0.95 ×`. */
  target: string;
  /** The measured figure, formatted. */
  measured: string;
  met: boolean;
  /** How far from the target, when missed. */
  gap?: string;
}

/** `measured ≥ min`. */
export function atLeast(what: string, measured: number, min: number, unit = '×'): TargetCheck {
  const met = measured >= min;
  return {
    what,
    target: `≥ ${fmt(min, 2)}${unit ? ` ${unit}` : ''}`,
    measured: `${fmt(measured, 2)}${unit ? ` ${unit}` : ''}`,
    met,
    gap: met
      ? undefined
      : `short by ${fmt(min - measured, 2)}${unit ? ` ${unit}` : ''} (${fmt(((min - measured) / min) * 100, 0)} % below)`,
  };
}

/** `measured ≤ max`. */
export function atMost(
  what: string,
  measured: number,
  max: number,
  unit: string,
  digits = 2,
): TargetCheck {
  const met = measured <= max;
  return {
    what,
    target: `≤ ${fmt(max, digits)} ${unit}`,
    measured: `${fmt(measured, digits)} ${unit}`,
    met,
    gap: met
      ? undefined
      : max === 0
        ? `${fmt(measured, digits)} ${unit} too many`
        : `over by ${fmt(measured - max, digits)} ${unit} (${fmt(measured / max, 1)} × the target)`,
  };
}
