import type { BypassReason } from '../../cache-statistics.js';
import type { Exchange, PageCacheParts } from '../exchange.js';
import { isBypass, type PageLocation } from '../key/page-key.js';
import type { PagePolicy } from '../policy/page-policy.js';
import type { CapturedResponse } from './capture.js';
import { mergeVary, unkeyedVary } from './storability.js';

/** The request headers a location's key holds. */
export function keyedHeaders(location: PageLocation, policy: PagePolicy): readonly string[] {
  return location.varyHeaders ?? policy.vary.headers;
}

/**
 * Django's `learn_cache_key`: a response whose `Vary` names headers its key did not hold teaches
 * its route to key them, from now on, in this process (logged once per route and header). The page
 * is then stored under the key recomputed with them, which is the one later requests look up.
 * Never learned (`*`, credentials) or past the limit of `learned-vary.ts`: not stored (`vary`, whose
 * once-per-route advice names the headers to declare).
 * @returns where the page may be stored, or why it may not.
 */
export function learnVary(
  parts: Pick<PageCacheParts, 'learnedVary' | 'locate' | 'warnings'>,
  { policy, request, location }: Pick<Exchange, 'policy' | 'request' | 'location'>,
  captured: CapturedResponse,
): PageLocation | BypassReason {
  const names = unkeyedVary(captured, keyedHeaders(location, policy));
  const refused = parts.learnedVary.learn(policy, names);
  const vary = mergeVary(captured.headers.get('vary')) ?? '';
  // Refused (`*`, credentials, past the limit): the `vary` advice names the headers to declare.
  if (refused) return 'vary';
  for (const name of names) {
    const spelled = spelling(vary, name);
    parts.warnings.warn(
      `${policy.view} varies on ${spelled} (its response says Vary: ${vary}): each value is keyed from now on in this process; declare it with \`pages: { vary: ['${name}'] }\` or \`@VaryOn('${name}')\` so every worker keys it from its first request.`,
      `${policy.view}\u0000vary-learned\u0000${name}`,
    );
  }
  const relocated = parts.locate(policy, request);
  if (isBypass(relocated)) return relocated.bypass;
  // A key built another way (an overridden locate()) that still leaves a header out: not stored.
  if (unkeyedVary(captured, keyedHeaders(relocated, policy)).length > 0) return 'vary';
  return relocated;
}

/** How a `Vary` value spells a header (lower-case) it names. */
function spelling(vary: string, name: string): string {
  return (
    vary
      .split(',')
      .find(token => token.trim().toLowerCase() === name)
      ?.trim() ?? name
  );
}
