import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** What a response looked like when it ended, as seen on the wire. */
export interface CapturedResponse {
  status: number;
  /** Lower-case names; multi-valued headers joined as Node joins them. */
  headers: Map<string, string | string[]>;
  body: Buffer;
  /** The body was written in several chunks (a stream): not storable. */
  streamed: boolean;
}

/** What to do with a response that is about to end. */
export interface CaptureDecision {
  /** Headers to add to the response. */
  headers?: Record<string, string>;
  /** Settles when the response may be ended (it must never reject). */
  wait?: Promise<void>;
}

/** A Fastify reply, as far as the page cache uses it. */
interface FastifyReplyLike {
  raw: ServerResponse;
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/** Express's response or Fastify's reply: both carry a Node `ServerResponse`. */
export type AdapterResponse = ServerResponse | FastifyReplyLike;

/** The Node response behind an adapter's response object. */
export function rawResponse(response: AdapterResponse): ServerResponse {
  return 'raw' in response && typeof response.code === 'function'
    ? response.raw
    : (response as ServerResponse);
}

/**
 * Watches a Node response so the bytes sent are known when it ends, for both adapters (Express
 * writes through `setHeader` + `end(body)`, Fastify through `writeHead(status, headers)` +
 * `end(body)`). The head is held back until `end` so that `beforeEnd` can still add headers (the
 * ETag of the body); once a chunk is written on its own (a stream), everything passes through.
 *
 * `onEnd` may return headers to add and a promise to wait for before the response is ended.
 */
export function captureResponse(
  raw: ServerResponse,
  onEnd: (captured: CapturedResponse) => CaptureDecision | undefined,
): void {
  const originalWriteHead = raw.writeHead;
  const originalWrite = raw.write;
  const originalEnd = raw.end;
  let heldHead: unknown[] | undefined;
  let streamed = false;

  const flushHead = () => {
    if (heldHead) {
      const args = heldHead;
      heldHead = undefined;
      Reflect.apply(originalWriteHead, raw, args);
    }
  };
  const restore = () => {
    raw.writeHead = originalWriteHead;
    raw.write = originalWrite;
    raw.end = originalEnd;
  };

  raw.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    heldHead = args;
    return this;
  } as ServerResponse['writeHead'];

  raw.write = function (this: ServerResponse, ...args: unknown[]) {
    streamed = true;
    restore();
    flushHead();
    return Reflect.apply(originalWrite, this, args) as boolean;
  } as ServerResponse['write'];

  raw.end = function (this: ServerResponse, ...args: unknown[]) {
    restore();
    const chunk = args[0];
    const body =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof args[1] === 'string' ? (args[1] as BufferEncoding) : 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : chunk instanceof Uint8Array
            ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
            : Buffer.alloc(0);
    const captured: CapturedResponse = {
      status: heldHead && typeof heldHead[0] === 'number' ? heldHead[0] : raw.statusCode,
      headers: collectHeaders(raw, heldHead),
      body,
      streamed,
    };
    const decision = streamed || raw.headersSent ? undefined : onEnd(captured);
    for (const [name, value] of Object.entries(decision?.headers ?? {})) {
      captured.headers.set(name, value);
      if (heldHead) addHeldHeader(heldHead, name, value);
      else raw.setHeader(name, value);
    }
    const finish = () => {
      flushHead();
      Reflect.apply(originalEnd, raw, args);
    };
    if (decision?.wait) void decision.wait.finally(finish);
    else finish();
    return raw;
  } as ServerResponse['end'];
}

/** Headers set with `setHeader` merged with those held for `writeHead` (which win, as in Node). */
function collectHeaders(
  raw: ServerResponse,
  held: unknown[] | undefined,
): Map<string, string | string[]> {
  const headers = new Map<string, string | string[]>();
  for (const [name, value] of Object.entries(raw.getHeaders())) addHeader(headers, name, value);
  const given = held ? headersArgument(held) : undefined;
  if (Array.isArray(given)) {
    for (let i = 0; i + 1 < given.length; i += 2)
      addHeader(headers, String(given[i]), given[i + 1]);
  } else if (given) {
    for (const [name, value] of Object.entries(given)) addHeader(headers, name, value);
  }
  return headers;
}

function headersArgument(held: unknown[]): OutgoingHttpHeaders | unknown[] | undefined {
  const candidate = typeof held[1] === 'string' ? held[2] : held[1];
  return candidate && typeof candidate === 'object'
    ? (candidate as OutgoingHttpHeaders)
    : undefined;
}

function addHeldHeader(held: unknown[], name: string, value: string): void {
  const index = typeof held[1] === 'string' ? 2 : 1;
  const given = held[index];
  if (Array.isArray(given)) given.push(name, value);
  else if (given && typeof given === 'object') (given as OutgoingHttpHeaders)[name] = value;
  else {
    held[index] = { [name]: value };
    held.length = Math.max(held.length, index + 1);
  }
}

function addHeader(headers: Map<string, string | string[]>, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  headers.set(
    name.toLowerCase(),
    Array.isArray(value) ? value.map(String) : String(value as string | number),
  );
}

/** Whether an `If-None-Match` request header matches an ETag (weak comparison, RFC 9110). */
export function etagMatches(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (Array.isArray(ifNoneMatch)) ifNoneMatch = ifNoneMatch.join(',');
  const wanted = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const raw of ifNoneMatch.split(',')) {
    const tag = raw.trim();
    if (tag === '*' || (tag.startsWith('W/') ? tag.slice(2) : tag) === wanted) return true;
  }
  return false;
}
