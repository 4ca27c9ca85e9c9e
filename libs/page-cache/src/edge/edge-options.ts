import type {
  EdgeCacheOptions,
  EdgePurge,
  EdgeTagHeader,
} from '../interfaces/edge-options.interface.js';

/** `pages.edge`, checked, with its default header. */
export interface ResolvedEdgeOptions {
  header: EdgeTagHeader;
  purge?: EdgePurge;
}

const HEADERS: readonly EdgeTagHeader[] = ['Surrogate-Key', 'Cache-Tag', 'xkey'];

/**
 * Checks `pages.edge` once, at startup.
 * @throws TypeError that names the option and what it accepts.
 */
export function resolveEdgeOptions(value: unknown): ResolvedEdgeOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Invalid CacheModule option pages.edge: ${describe(value)}. Expected { header?: 'Surrogate-Key' | 'Cache-Tag' | 'xkey', purge?: (tags) => Promise<void> }.`,
    );
  }
  const { header = 'Surrogate-Key', purge } = value as EdgeCacheOptions;
  if (!HEADERS.includes(header)) {
    throw new TypeError(
      `Invalid CacheModule option pages.edge.header: ${describe(header)}. Expected 'Surrogate-Key' (Fastly), 'Cache-Tag' (Cloudflare) or 'xkey' (Varnish).`,
    );
  }
  if (purge !== undefined && typeof purge !== 'function') {
    throw new TypeError(
      `Invalid CacheModule option pages.edge.purge: ${describe(purge)}. Expected a function (tags: string[]) => Promise<void>, such as varnishPurge({ url }) from 'nestjs-page-cache/varnish'.`,
    );
  }
  return purge === undefined ? { header } : { header, purge };
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
