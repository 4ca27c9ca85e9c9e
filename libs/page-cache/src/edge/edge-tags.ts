import type { EdgeTagHeader } from '../interfaces/edge-options.interface.js';
import { digest } from '../keys.js';

/** Longest tag sent as it is (Akamai stops at 128 characters): longer ones are hashed. */
export const MAX_EDGE_TAG_LENGTH = 128;

/** Longest header value, in bytes, with room to spare (Varnish's `http_resp_hdr_len` is 8 KB). */
export const MAX_EDGE_HEADER_BYTES: Readonly<Record<EdgeTagHeader, number>> = {
  'Surrogate-Key': 16_000,
  'Cache-Tag': 16_000,
  xkey: 8_000,
};

/** Visible ASCII without the list separators (`,`) and quotes every edge cache would accept. */
const SAFE_TAG = /^[!#-+\--~]+$/;

/**
 * The edge tag of a dependency or lookup tag (`Post`, `Post/42`, `@path:…`): the same text when
 * short and of characters every edge accepts in a list (as entity ids are percent-encoded), else
 * `~` and its digest. Pages and purges both name their tags here, so they always agree.
 */
export function edgeTag(name: string): string {
  if (name.length <= MAX_EDGE_TAG_LENGTH && SAFE_TAG.test(name) && !name.startsWith('~')) {
    return name;
  }
  return `~${digest(name, 22)}`;
}

/** Edge tags of several names, each once, in their first order. */
export function edgeTags(names: Iterable<string>): string[] {
  const tags = new Set<string>();
  for (const name of names) tags.add(edgeTag(name));
  return [...tags];
}

/**
 * The header value that carries `tags`; `undefined` when it would be longer than the edge reads
 * (dropping tags would leave a copy no purge reaches, so such a page is not given to the edge).
 */
export function edgeHeaderValue(
  tags: readonly string[],
  header: EdgeTagHeader,
): string | undefined {
  if (tags.length === 0) return undefined;
  const value = tags.join(header === 'Cache-Tag' ? ',' : ' ');
  // Tags are ASCII: one character is one byte.
  return value.length <= MAX_EDGE_HEADER_BYTES[header] ? value : undefined;
}
