import { encodeEntry, type PageMeta } from '../../codec.js';
import { digest } from '../../keys.js';
import type { PageCacheParts } from '../exchange.js';
import type { PageLocation } from '../key/page-key.js';
import type { PagePolicy } from '../policy/page-policy.js';
import type { StoredPage } from '../stored-page.js';
import { ATTRIBUTES, SPANS } from '../../telemetry/telemetry-names.js';
import type { TraceSpan } from '../../telemetry/tracing.interface.js';

/** A page rendered and captured, with the generation tokens read before its handler ran. */
export interface RenderedPage {
  location: PageLocation;
  policy: PagePolicy;
  meta: PageMeta;
  body: Buffer;
  generations: string[];
}

/**
 * Stores a rendered page with the tokens read before its handler ran (the tracker removes it if
 * an invalidation replaced one meanwhile), kept for its TTL and grace; in a `page_cache.store_write`
 * span of `span`.
 * @returns the page if it is stored and current; never rejects.
 */
export async function storePage(
  { tracker, counters, options }: Pick<PageCacheParts, 'tracker' | 'counters' | 'options'>,
  rendered: RenderedPage,
  span?: TraceSpan,
): Promise<StoredPage | undefined> {
  const { location, policy, meta, body, generations } = rendered;
  try {
    if (location.deps.length > 0) {
      meta.d = location.deps;
      meta.g = generations;
    }
    // The body's digest in the header: what lets a process that read this page reuse its body.
    meta.b = digest(body, 22);
    const bytes = encodeEntry(meta, body, options.compressAbove);
    const keepMs = meta.l === 0 ? 0 : meta.l + policy.graceMs;
    const write = () => tracker.write(location.key, bytes, keepMs, location.deps, generations);
    const current = await (span
      ? span.child(SPANS.storeWrite, write, stored => ({
          [ATTRIBUTES.stored]: stored,
          [ATTRIBUTES.entryBytes]: bytes.length,
        }))
      : write());
    if (!current) return undefined;
    counters.write(policy.view, location.key, body.length);
    return { meta, body };
  } catch {
    return undefined;
  }
}
