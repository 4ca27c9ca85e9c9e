import { checkOptionNames, type OptionNames } from '../option-names.js';
import { parseTtl, type Ttl } from '../ttl.js';

/** Options of {@link varnishPurge}. */
export interface VarnishPurgeOptions {
  /**
   * Where Varnish listens, e.g. `'http://127.0.0.1:6081/'`; several URLs purge several Varnish
   * servers (each must succeed). The path does not matter to the shipped VCL.
   */
  url: string | readonly string[];
  /** How long one purge request may take before it fails (ms or `'2s'`…). Default `'2s'`. */
  timeout?: Ttl;
  /** Extra request headers (a shared secret your VCL checks, a `Host`). */
  headers?: Record<string, string>;
}

/** Every name of {@link VarnishPurgeOptions} (`headers` are the app's own, not walked). */
const VARNISH_PURGE_OPTION_NAMES: OptionNames<VarnishPurgeOptions> = {
  url: true,
  timeout: true,
  headers: true,
};

/** Longest `xkey` request header sent (Varnish's `http_req_hdr_len` is 8 KB by default). */
const MAX_HEADER_BYTES = 4_000;

/**
 * A `pages.edge.purge` for Varnish with vmod_xkey and the VCL this package ships
 * (`dist/varnish/page-cache.vcl`): sends `PURGE` with the tags in an `xkey` header
 * (space-separated, in several requests when they are many), and rejects on a network error, a
 * timeout or a status outside 2xx — so the page cache retries it.
 *
 * ```ts
 * CacheModule.forRoot({
 *   redis,
 *   pages: { edge: { header: 'xkey', purge: varnishPurge({ url: 'http://varnish:6081/' }) } },
 * });
 * ```
 */
export function varnishPurge(options: VarnishPurgeOptions): (tags: string[]) => Promise<void> {
  checkOptionNames(options, VARNISH_PURGE_OPTION_NAMES, 'varnishPurge');
  const urls = typeof options.url === 'string' ? [options.url] : [...(options.url ?? [])];
  if (urls.length === 0 || urls.some(url => !/^https?:\/\//.test(url))) {
    throw new TypeError(
      `Invalid varnishPurge option url: ${JSON.stringify(options.url)}. Expected an http(s) URL of Varnish, or a list of them.`,
    );
  }
  const timeout = parseTtl(options.timeout ?? '2s', 'varnishPurge option timeout');
  if (timeout === 0) {
    throw new TypeError('Invalid varnishPurge option timeout: 0. Expected a duration > 0.');
  }
  const extra = { ...options.headers };
  return async tags => {
    const batches = batchesOf(tags);
    await Promise.all(
      urls.map(async url => {
        for (const keys of batches) {
          const response = await fetch(url, {
            method: 'PURGE',
            headers: { ...extra, xkey: keys },
            signal: AbortSignal.timeout(timeout),
          });
          // Drained, so the connection can be reused.
          await response.arrayBuffer();
          if (response.status < 200 || response.status >= 300) {
            throw new Error(
              `Varnish at ${url} answered ${response.status} ${response.statusText} to PURGE`,
            );
          }
        }
      }),
    );
  };
}

/** Tags joined by spaces, in header values no longer than Varnish reads. */
function batchesOf(tags: readonly string[]): string[] {
  const batches: string[] = [];
  let current = '';
  for (const tag of tags) {
    if (current !== '' && current.length + 1 + tag.length > MAX_HEADER_BYTES) {
      batches.push(current);
      current = '';
    }
    current = current === '' ? tag : `${current} ${tag}`;
  }
  if (current !== '') batches.push(current);
  return batches;
}
