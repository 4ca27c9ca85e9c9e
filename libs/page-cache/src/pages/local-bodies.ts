import type { StoredPage } from './stored-page.js';

/** A page read whole once, and its entry's header as stored (meta, with the body's SHA-256). */
interface KnownPage {
  header: Buffer;
  page: StoredPage;
}

/**
 * Page bodies this process has read, reused by content: a hit reads the entry's header from the
 * store, and only when it is byte for byte the one kept here (same body digest, store time and
 * tokens) is the body taken from here. So nothing the store no longer holds is ever answered from
 * here. Bounded by bytes, oldest first out.
 */
export class LocalBodies {
  private readonly known = new Map<string, KnownPage>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): KnownPage | undefined {
    return this.known.get(key);
  }

  /** Keeps `page` under `key`, unless it alone would take more than an eighth of the budget. */
  set(key: string, header: Buffer, page: StoredPage): void {
    const size = header.length + page.body.length + key.length;
    if (size > this.maxBytes / 8) return;
    this.delete(key);
    while (this.known.size > 0 && this.bytes + size > this.maxBytes) {
      this.delete(this.known.keys().next().value!);
    }
    // Copies: the views they are may keep a whole socket read of the store's replies alive.
    const body = Buffer.from(page.body);
    this.known.set(key, { header: Buffer.from(header), page: { meta: page.meta, body } });
    this.bytes += size;
  }

  delete(key: string): void {
    const known = this.known.get(key);
    if (known === undefined) return;
    this.known.delete(key);
    this.bytes -= known.header.length + known.page.body.length + key.length;
  }

  /** Bytes kept (for tests). */
  get size(): number {
    return this.bytes;
  }
}
