import type { BypassReason } from '../../cache-statistics.js';
import type { InputRead, UnkeyedInputsMode } from './unkeyed-inputs.js';

/** Reads that see the request's spelling: the URL, the host, every header as sent. */
const SPELLING_READS = new Set<InputRead['kind']>(['URL', 'host', 'raw headers']);

/** What the inputs a render read, that its key does not hold, mean for the route and its page. */
export interface ReadsVerdict {
  /** Why this render may not be stored, if so. */
  rejected?: BypassReason;
  /** The route read the request's spelling: from now on its pages are keyed by it as sent. */
  keyAsSent: boolean;
  /** Warnings to log, each with the key it is logged once under. */
  warnings: { message: string; key: string }[];
}

/**
 * Sorts the inputs a render read that its key does not hold: a read of the request's spelling
 * switches the route to keys of the request as sent (and this render is not stored: its key
 * merged spellings the handler told apart); any other is reported per `pages.unkeyedInputs`.
 */
export function judgeReads(
  view: string,
  reads: readonly InputRead[],
  keyedAsSent: boolean,
  mode: UnkeyedInputsMode,
): ReadsVerdict {
  const verdict: ReadsVerdict = { keyAsSent: false, warnings: [] };
  for (const read of reads) {
    if (SPELLING_READS.has(read.kind) && !keyedAsSent) {
      verdict.keyAsSent = true;
      verdict.rejected = 'unkeyed-input';
      // The raw headers hold more than the host: their own warning says more.
      if (read.kind !== 'raw headers') {
        verdict.warnings.push({
          message: spellingWarning(view, read),
          key: `${view}\u0000spelling`,
        });
        continue;
      }
    }
    if (mode === 'off') continue;
    const message = unkeyedInputWarning(view, read);
    verdict.warnings.push({ message, key: message });
    if (mode === 'bypass') verdict.rejected = 'unkeyed-input';
  }
  return verdict;
}

/** The warning for a route whose render read the request's spelling. */
function spellingWarning(view: string, read: InputRead): string {
  const what =
    read.kind === 'host'
      ? `the host as sent (${read.name === 'Host header' ? 'the Host header' : `req.${read.name}`})`
      : `the URL as sent (req.${read.name})`;
  return `${view} read ${what}: its pages are now keyed by the request as sent, so each spelling of a URL or host (letter case, a default port, %-escapes) is an entry of its own. Read @Param() and @Query() instead to share one entry.`;
}

/** The warning for one unkeyed read, naming the fix. */
function unkeyedInputWarning(view: string, read: InputRead): string {
  if (read.kind === 'raw headers') {
    return `${view} read req.${read.name}, which holds every request header, most of them not in its key: read the ones you need from req.headers and add them to @VaryOn(), or @NoCache()`;
  }
  if (read.kind === 'address') {
    return `${view} read the client's address (req.${read.name}), which is not in its key: add @VaryOn(req => req.ip) or @NoCache()`;
  }
  const fix =
    read.kind === 'header'
      ? `@VaryOn('${read.name}')`
      : read.kind === 'cookie'
        ? `@VaryOn({ cookies: [${JSON.stringify(read.name)}] })`
        : `${JSON.stringify(read.name)} to @CachePage({ query })`;
  return `${view} read ${read.kind} '${read.name}', which is not in its key: add ${fix} or @NoCache()`;
}
