import type { PageMeta } from '../codec.js';

/** A page read from the store: its meta (status, headers, ETag, times, tokens) and body bytes. */
export interface StoredPage {
  meta: PageMeta;
  body: Buffer;
}
