import type { EdgeTagHeader } from '../interfaces/edge-options.interface.js';
import { digest } from '../keys.js';

/**
 * Longest tag sent as it is. Fastly takes 1 KB per key, Cloudflare and Varnish have no limit of
 * their own, other CDNs stop at 128 (Akamai) or 256 (CloudFront) characters: longer ones are
 * hashed, here and in the purge alike.
 */
export const MAX_EDGE_TAG_LENGTH = 128;

/**
 * Longest header value per header, in bytes: Fastly reads 16 KB of `Surrogate-Key`, Cloudflare
 * 16 KB of `Cache-Tag` (after the field name), Varnish refuses a backend response with a header
 * longer than its `http_resp_hdr_len` (8 KB by default) — each with some room to spare.
 */
export const MAX_EDGE_HEADER_BYTES: Readonly<Record<EdgeTagHeader, number>> = {
  'Surrogate-Key': 16_000,
  'Cache-Tag': 16_000,
  xkey: 8_000,
};

/** Visible ASCII without the list separators (`,`) and quotes every edge cache would accept. */
const SAFE_TAG = /^[!#-+\--~]+$/;

/**
 * The edge tag of a dependency or lookup tag (`Post`, `Post/42`, `Post/`, `@path:…`): the same
 * text when it is short and made of characters every edge accepts in a list (visible ASCII, no
 * space, comma or quote) — which dependency names are, since entity ids are percent-encoded
 * (`Post/a%2Cb` for the id `a,b`, `Post/%C3%A9` for `é`) — else `~` and a digest of it, `~` never
 * starting a dependency name. Pages and purges both name their tags through this function, so a
 * purge reaches exactly the pages that carry its tags.
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
 * The header value that carries `tags`: space-separated for `Surrogate-Key` and `xkey`,
 * comma-separated for `Cache-Tag`; `undefined` when it would be longer than the edge reads
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
