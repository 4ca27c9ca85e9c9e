import type { ServerResponse } from 'node:http';
import type { PageRequest } from '../interfaces/page-options.interface.js';
import type { PageLocation } from '../pages/key/page-key.js';
import type { OnceWarnings } from '../pages/once-warnings.js';
import type { PagePolicy } from '../pages/policy/page-policy.js';
import type { RouteJudgement } from '../pages/policy/route-judgement.js';
import { hostFromProxy } from './host-from-proxy.js';
import type { ResolvedEdgeOptions } from './edge-options.js';
import { EDGE_REPURGE_MS, type EdgePurger } from './edge-purger.js';
import { edgeHeaderValue, edgeTags } from './edge-tags.js';

/** The tag header a page is sent with, for the edge to file it under its tags. */
export interface EdgeTagHeader {
  name: string;
  value: string;
  /** A request header the edge must add to its key (`Vary`), as the page's key holds it. */
  vary: string;
}

/**
 * The page's key holds the protocol the framework reports (a trusted proxy's `X-Forwarded-Proto`),
 * an edge's only the URL and `Host`: tagged pages vary on it, so a forged one decides nothing.
 */
const EDGE_VARY = 'X-Forwarded-Proto';

/**
 * What the page cache writes on its responses for an edge cache in front of the app
 * (`pages.edge`): the tag header of a page the edge may keep for everyone, `Cache-Control:
 * private` on every other response (no purge would ever reach an edge copy of it), and a second
 * purge of a tagged page that was sent but could not be stored. Without an edge, it writes
 * nothing.
 */
export class PageEdgeMarks {
  constructor(
    private readonly edge: ResolvedEdgeOptions | undefined,
    private readonly purger: EdgePurger | undefined,
    private readonly warnings: OnceWarnings,
  ) {}

  /** Whether an edge cache is configured. */
  get enabled(): boolean {
    return this.edge !== undefined;
  }

  /**
   * The tag header of a page an edge cache may keep for everyone, or `undefined`: no edge, a route
   * whose pages no shared cache may keep, a host from a proxy header, more tags than fit.
   */
  tagHeader(
    policy: PagePolicy,
    judgement: RouteJudgement,
    location: PageLocation,
    request: PageRequest,
  ): EdgeTagHeader | undefined {
    const edge = this.edge;
    if (!edge) return undefined;
    if (judgement.notShared !== undefined) return undefined;
    if (hostFromProxy(request)) return undefined;
    const value = edgeHeaderValue(edgeTags(location.deps), edge.header);
    if (value === undefined) {
      this.warnings.warn(
        `${policy.view} has more edge tags than a ${edge.header} header holds: its pages are sent with Cache-Control: private.`,
      );
    }
    return value === undefined ? undefined : { name: edge.header, value, vary: EDGE_VARY };
  }

  /** Marks an untagged response private (unless the handler set a Cache-Control of its own). */
  keepPrivate(raw: ServerResponse): void {
    if (this.edge && !raw.headersSent && !raw.hasHeader('cache-control')) {
      raw.setHeader('cache-control', 'private');
    }
  }

  /**
   * Purges the edge copies of a tagged page that could not be stored: most likely a save replaced
   * its tokens while it rendered, and that save's purge went out before this response reached the
   * edge. So once it is sent (and a little later, for the edge to take it in), its URL is purged.
   */
  purgeWhenSent(raw: ServerResponse, location: PageLocation): void {
    const purger = this.purger;
    if (!purger) return;
    const tags = location.deps.filter(tag => tag.startsWith('@url:'));
    raw.once('finish', () => {
      setTimeout(() => void purger.purge(tags), EDGE_REPURGE_MS).unref();
    });
  }
}
