import type { ServerResponse } from 'node:http';
import { internalField } from '../internal-field.js';

/** What a response looked like when it ended, as seen on the wire. */
export interface CapturedResponse {
  status: number;
  /** Lower-case names; multi-valued headers joined as Node joins them. */
  headers: Map<string, string | string[]>;
  body: Buffer;
  /** The body was written in several chunks (a stream): not storable. */
  streamed: boolean;
}

/** What to do with a response whose head is about to be written. */
export interface CaptureDecision {
  /** Headers to add to (or replace in) the head, and to leave out of it (lower-case). */
  headers?: Record<string, string>;
  remove?: readonly string[];
  /** Settles when the response may be ended (it must never reject). */
  wait?: Promise<void>;
}

/**
 * Watches a Node response so that the decision to store it is taken on the head exactly as it is
 * sent, on both adapters. `onHead` is called from inside Node's `_storeHeader`, after every
 * `writeHead` hook has run (`on-headers`, which express-session uses to add `Set-Cookie` at the
 * last moment), with the final status, headers and body, so nothing added later escapes it; it may
 * add and remove headers there, and return a promise to wait for before the response is ended
 * (the store write). A `writeHead` call is held until `end`, so the body is known; once a chunk
 * is written on its own (a stream), the head goes out with `streamed` set.
 * @returns what stops watching (for a response answered another way before its head was built).
 */
export function captureResponse(
  raw: ServerResponse,
  onHead: (captured: CapturedResponse) => CaptureDecision | undefined,
): () => void {
  const target = raw as ServerResponse & { _storeHeader?: StoreHeader; _contentLength?: unknown };
  const originalWriteHead = raw.writeHead;
  const originalWrite = raw.write;
  const originalEnd = raw.end;
  const originalFlushHeaders = raw.flushHeaders;
  const originalStoreHeader = target._storeHeader;
  const ownStoreHeader = Object.prototype.hasOwnProperty.call(raw, '_storeHeader');
  let heldHead: unknown[] | undefined;
  let streamed = false;
  let body: Buffer | undefined;
  let decision: CaptureDecision | undefined;

  const restore = () => {
    raw.writeHead = originalWriteHead;
    raw.write = originalWrite;
    raw.end = originalEnd;
    raw.flushHeaders = originalFlushHeaders;
  };
  const restoreStoreHeader = () => {
    if (ownStoreHeader) target._storeHeader = originalStoreHeader;
    else delete target._storeHeader;
  };
  const writeHead = () => {
    if (raw.headersSent) return;
    if (heldHead) Reflect.apply(originalWriteHead, raw, heldHead);
    else Reflect.apply(originalWriteHead, raw, [raw.statusCode]);
  };

  if (typeof originalStoreHeader !== 'function') {
    // Not a Node response we know how to read: nothing is stored.
    onHead({ status: raw.statusCode, headers: new Map(), body: Buffer.alloc(0), streamed: true });
    return () => undefined;
  }

  target._storeHeader = function (this: ServerResponse, firstLine: string, given: unknown) {
    restoreStoreHeader();
    const entries = headerEntries(raw, given);
    const headers = new Map<string, string | string[]>();
    for (const [name, value] of entries) {
      if (value === undefined || value === null) continue;
      const text = Array.isArray(value) ? value.map(String) : String(value as string | number);
      headers.set(name.toLowerCase(), text);
    }
    decision = onHead({
      status: raw.statusCode,
      headers,
      body: body ?? Buffer.alloc(0),
      streamed: streamed || body === undefined,
    });
    if (!decision?.headers && !decision?.remove) {
      return Reflect.apply(originalStoreHeader, this, [firstLine, given]) as unknown;
    }
    const drop = new Set([...(decision.remove ?? []), ...Object.keys(decision.headers ?? {})]);
    const flat: unknown[] = [];
    for (const [name, value] of entries) {
      if (!drop.has(name.toLowerCase())) flat.push(name, value);
    }
    for (const [name, value] of Object.entries(decision.headers ?? {})) flat.push(name, value);
    return Reflect.apply(originalStoreHeader, this, [firstLine, flat]) as unknown;
  } as StoreHeader;

  raw.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    heldHead = args;
    return this;
  } as ServerResponse['writeHead'];

  raw.write = function (this: ServerResponse, ...args: unknown[]) {
    streamed = true;
    restore();
    writeHead();
    return Reflect.apply(originalWrite, this, args) as boolean;
  } as ServerResponse['write'];

  // A handler that sends its head early (server-sent events by hand) is streaming.
  raw.flushHeaders = function (this: ServerResponse) {
    streamed = true;
    restore();
    writeHead();
    return Reflect.apply(originalFlushHeaders, this, []) as void;
  };

  raw.end = function (this: ServerResponse, ...args: unknown[]) {
    restore();
    if (!streamed && !raw.headersSent) {
      body = bodyOf(args);
      // What Node's end() would have set before writing an implicit head.
      if (typeof target._contentLength !== 'number') target._contentLength = body.length;
    }
    writeHead();
    restoreStoreHeader();
    const finish = () => Reflect.apply(originalEnd, raw, args);
    if (decision?.wait) void decision.wait.finally(finish);
    else finish();
    return raw;
  } as ServerResponse['end'];

  return () => {
    restore();
    restoreStoreHeader();
  };
}

type StoreHeader = (firstLine: string, headers: unknown) => unknown;

function bodyOf(args: unknown[]): Buffer {
  const chunk = args[0];
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, typeof args[1] === 'string' ? (args[1] as BufferEncoding) : 'utf8');
  }
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.alloc(0);
}

/**
 * The headers `_storeHeader` was given, as sent: Node's own table (`{ lower: [name, value] }`)
 * after `setHeader`, else what `writeHead` received (an object, a flat array or pairs).
 */
function headerEntries(raw: ServerResponse, given: unknown): [string, unknown][] {
  if (!given || typeof given !== 'object') return [];
  if (given === internalField(raw, 'kOutHeaders')) {
    return Object.values(given as Record<string, [string, unknown]>);
  }
  if (!Array.isArray(given)) return Object.entries(given);
  if (given.length > 0 && Array.isArray(given[0])) {
    return (given as [unknown, unknown][]).map(([name, value]) => [String(name), value]);
  }
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < given.length; i += 2) out.push([String(given[i]), given[i + 1]]);
  return out;
}
