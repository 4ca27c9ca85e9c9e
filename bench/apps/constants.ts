/** The glob of the invalidation scenario's SCAN deletion: every page whose key names Article. */
export const ARTICLE_PAGES_GLOB = 'page:*Article*';

/** The Authorization header that makes the page cache bypass a request (uncached demo page). */
export const BYPASS_HEADERS = { authorization: 'Bearer bench-uncached' };
