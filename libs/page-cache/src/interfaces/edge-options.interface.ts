/** The response header an edge cache reads a page's purge tags from. */
export type EdgeTagHeader = 'Surrogate-Key' | 'Cache-Tag' | 'xkey';

/**
 * Purges every object an edge cache keeps under any of `tags` (Varnish `xkey`, Fastly surrogate
 * keys, Cloudflare cache tags). Resolve once the edge has dropped them; reject when it has not (a
 * rejected purge is retried in the background, with backoff).
 */
export type EdgePurge = (tags: string[]) => Promise<void>;

/**
 * An edge cache (CDN, Varnish) in front of the app, purged by the same saves that clear Redis
 * (`pages.edge`).
 */
export interface EdgeCacheOptions {
  /**
   * The header cached pages carry their tags in: `'Surrogate-Key'` (Fastly, space-separated),
   * `'Cache-Tag'` (Cloudflare, comma-separated) or `'xkey'` (Varnish, space-separated).
   * Default `'Surrogate-Key'`.
   */
  header?: EdgeTagHeader;
  /**
   * Called after every invalidation (entity events, `cache.invalidate()`, `@Invalidates`,
   * `expirePage`) has cleared Redis, with the tags it cleared. Without it, pages still carry the
   * header (for an edge you purge yourself).
   */
  purge?: EdgePurge;
}
