import type { PagePolicy } from '../policy/page-policy.js';
import type { PageRequest } from '../page-metadata.js';

export type { UnkeyedInputsMode } from '../../interfaces/cache-module-options.interface.js';

/** One request input a render read; `URL` and `host` are the request's spelling as sent. */
export interface InputRead {
  kind: 'header' | 'cookie' | 'query parameter' | 'URL' | 'host' | 'raw headers' | 'address';
  name: string;
}

/**
 * Headers never reported: those the framework itself reads while sending (freshness checks, body
 * parsers, compression), and `Authorization` (not cached unless the page varies on the user).
 */
const NOT_REPORTED = new Set([
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'cache-control',
  'pragma',
  'connection',
  'content-type',
  'content-length',
  'transfer-encoding',
  'accept-encoding',
  'authorization',
]);

/**
 * Framework getters that read headers or the URL: their own reads are not reported, a read of the
 * getter is, as what it returns (`undefined`: keyed as it is).
 */
const GETTERS: Readonly<Record<string, InputRead['kind'] | undefined>> = {
  host: 'host',
  hostname: 'host',
  path: 'URL',
  // The client's address (`@Ip()`), from the socket or a trusted X-Forwarded-For.
  ip: 'address',
  ips: 'address',
  protocol: undefined,
  secure: undefined,
  query: undefined,
};

/** Most distinct inputs remembered per render (an attacker's request cannot grow it further). */
const MAX_READS = 64;
const MAX_NAME = 100;

/**
 * Records which request inputs a render reads, through recording proxies in front of
 * `req.headers`, `req.cookies`, `req.query` and accessors on the spellings, while the handler runs
 * (reads before the page cache runs, as a guard's, are not seen). `stop()` puts the originals back
 * and returns what was read (see {@link unkeyedReads}).
 */
export function watchInputs(
  request: PageRequest,
  policy: PagePolicy,
  /** Headers, cookies and query parameters too (`pages.unkeyedInputs` is not `'off'`). */
  all: boolean,
): () => InputRead[] {
  const reads = new Map<string, InputRead>();
  let quiet = 0;
  const record = (kind: InputRead['kind'], name: string) => {
    if (quiet > 0 || reads.size >= MAX_READS) return;
    const short = name.length > MAX_NAME ? `${name.slice(0, MAX_NAME)}…` : name;
    reads.set(`${kind}\u0000${short}`, { kind, name: short });
  };
  const undo: (() => void)[] = [];

  // Express's request is the Node message; Fastify's reads its headers from `raw`.
  const raw = (request as { raw?: { headers?: unknown } }).raw;
  const headerHolder = (raw && typeof raw === 'object' && 'headers' in raw ? raw : request) as {
    headers: object;
  };
  const headers = headerHolder.headers;
  if (headers && typeof headers === 'object') {
    headerHolder.headers = recording(headers, name => {
      const lower = name.toLowerCase();
      if (lower === 'host') record('host', 'Host header');
      else if (all) record('header', lower);
    });
    undo.push(() => (headerHolder.headers = headers));
  }

  // Every header at once, past req.headers: none of them is keyed as such.
  for (const name of ['rawHeaders', 'headersDistinct']) {
    if (name in headerHolder) {
      undo.push(observeProperty(headerHolder, name, () => record('raw headers', name)));
    }
  }

  const watchObject = (name: string, kind: InputRead['kind']) => {
    const value = (request as unknown as Record<string, unknown>)[name];
    if (!value || typeof value !== 'object') return;
    const watched = recording(value, key => record(kind, key));
    undo.push(override(request, name, { value: watched, writable: true, enumerable: true }));
  };
  if (all) {
    watchObject('cookies', 'cookie');
    watchObject('signedCookies', 'cookie');
    if (policy.query) watchObject('query', 'query parameter');
  }

  // The target as sent: keyed only in canonical form unless the route keys it as sent.
  const holders = raw && typeof raw === 'object' && raw !== request ? [request, raw] : [request];
  for (const holder of holders) {
    for (const name of ['url', 'originalUrl']) {
      if (!(name in holder)) continue;
      undo.push(observeProperty(holder, name, () => record('URL', name)));
    }
  }

  // Getters read X-Forwarded-* or req.url for their result: only the getter's own read counts.
  for (const [name, kind] of Object.entries(GETTERS)) {
    const getter = findGetter(request, name);
    if (!getter) continue;
    const get = function (this: unknown) {
      if (kind && (all || kind !== 'address')) record(kind, name);
      quiet++;
      try {
        return getter.call(this);
      } finally {
        quiet--;
      }
    };
    undo.push(override(request, name, { get, enumerable: false }));
  }

  return () => {
    for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
    undo.length = 0;
    return [...reads.values()];
  };
}

/**
 * The reads that are not part of the page's key: `rawSpellings`, the route's pages are keyed by
 * the request as sent (its spelling reads are keyed); `keyedHeaders`, the request headers the key
 * holds (declared, then learned).
 */
export function unkeyedReads(
  reads: readonly InputRead[],
  policy: PagePolicy,
  rawSpellings: boolean,
  keyedHeaders: readonly string[] = policy.vary.headers,
): InputRead[] {
  return reads.filter(read => !isKeyed(read, policy, rawSpellings, keyedHeaders));
}

/** Whether an input read is part of the page's key (or harmless to leave out of it). */
function isKeyed(
  read: InputRead,
  policy: PagePolicy,
  rawSpellings: boolean,
  keyedHeaders: readonly string[],
): boolean {
  const { vary } = policy;
  switch (read.kind) {
    case 'header':
      return NOT_REPORTED.has(read.name) || keyedHeaders.includes(read.name);
    case 'cookie':
      return vary.cookies.includes(read.name);
    case 'query parameter':
      return !policy.query || policy.query.has(read.name) || vary.query.includes(read.name);
    case 'host':
    case 'URL':
      return rawSpellings;
    case 'raw headers':
    case 'address':
      return false;
  }
}

function recording<T extends object>(target: T, onRead: (name: string) => void): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string') onRead(property);
      return Reflect.get(object, property) as unknown;
    },
    has(object, property) {
      if (typeof property === 'string') onRead(property);
      return Reflect.has(object, property);
    },
    getOwnPropertyDescriptor(object, property) {
      if (typeof property === 'string') onRead(property);
      return Reflect.getOwnPropertyDescriptor(object, property);
    },
  });
}

/** Defines an own property of `object`; returns what puts the property as it was back. */
function override(object: object, name: string, descriptor: PropertyDescriptor): () => void {
  const own = Object.getOwnPropertyDescriptor(object, name);
  Object.defineProperty(object, name, { ...descriptor, configurable: true });
  return () => {
    if (own) Object.defineProperty(object, name, own);
    else delete (object as Record<string, unknown>)[name];
  };
}

/** Puts an accessor in front of a property that calls `onRead` on every read; returns the undo. */
function observeProperty(object: object, name: string, onRead: () => void): () => void {
  const getter = findGetter(object, name);
  const own = Object.getOwnPropertyDescriptor(object, name);
  // Getters are not called here: one may read another observed property.
  let value = own && 'value' in own ? (own.value as unknown) : undefined;
  Object.defineProperty(object, name, {
    get() {
      onRead();
      return own && 'value' in own ? value : getter ? getter.call(this) : value;
    },
    set(next: unknown) {
      value = next;
    },
    configurable: true,
    enumerable: own?.enumerable ?? false,
  });
  return () => {
    if (own) Object.defineProperty(object, name, 'value' in own ? { ...own, value } : own);
    else delete (object as Record<string, unknown>)[name];
  };
}

function findGetter(object: object, name: string): (() => unknown) | undefined {
  for (let o: object | null = object; o; o = Object.getPrototypeOf(o) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name);
    if (descriptor) return descriptor.get;
  }
  return undefined;
}
