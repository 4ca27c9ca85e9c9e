import type { PageMeta } from '../codec.js';

/** A page read from the store: its meta (status, headers, ETag, times, tokens) and body bytes. */
export interface StoredPage {
  meta: PageMeta;
  body: Buffer;
  /**
   * The stored headers and the ETag as one flat `[name, value, …]` list, built on the page's first
   * hit and reused by every later one (a page read once is served many times: see `lookup.ts`).
   */
  flatHeaders?: readonly string[];
  /** Whether Fastify's `reply.send()` would send it as it is (see `early/direct-reply.ts`). */
  sentAsIs?: boolean;
  /** The flat head of its last answer with a body (see `serve.ts`), by label and age. */
  hitHead?: { label: string; age: number; flat: readonly string[] };
}
