import { ServerResponse } from 'node:http';
import type { FastifyReplyLike } from '../adapter-response.js';
import type { StoredPage } from '../stored-page.js';
import { internalField } from '../internal-field.js';

/**
 * Whether an early hit's Fastify reply may be written to Node's response as on Express: past
 * Fastify's send (a headers object, payload checks, the hooks' runners), which costs a near hit
 * as much as the rest of its work. Only where nothing the client or the app sees changes:
 * - the route runs no hook while sending, and after it none that does anything (`quietSend`,
 *   judged once): an `onResponse` hook could read the reply's headers, which this write leaves
 *   unset;
 * - Fastify logs no completed request (a `res` serializer could read them too);
 * - no earlier hook set a header or a trailer on the reply (those set on the response are kept);
 * - the page is one `reply.send()` sends as it is: it has its own `Content-Type` (a Buffer
 *   without one gets `application/octet-stream`), and is not a 204 (stripped of its length).
 * HTTP/1 only: an HTTP/2 response takes its head differently. The caller hijacks the reply once
 * the page is written (nothing is sent if the write throws).
 */
export function mayWriteDirect(reply: FastifyReplyLike, page: StoredPage): boolean {
  if (typeof reply.hijack !== 'function' || !(reply.raw instanceof ServerResponse)) return false;
  const info = (reply as { log?: { info?: unknown } }).log?.info;
  // A disabled level's method (no logger, or one set above `info`) is a `noop` (one function).
  if (info === undefined || info !== knownNoop) {
    if (typeof info !== 'function' || info.name !== 'noop') return false;
    knownNoop = info;
  }
  if (!empty(internalField(reply, 'fastify.reply.headers'))) return false;
  const trailers = internalField(reply, 'fastify.reply.trailers');
  if (trailers !== null && !empty(trailers)) return false;
  return (page.sentAsIs ??= sentAsIs(page));
}

/** The logger's `noop` once seen (reading a function's name costs more than comparing it). */
let knownNoop: unknown;

function sentAsIs({ meta }: StoredPage): boolean {
  return meta.s !== 204 && meta.h.some(([name]) => name === 'content-type');
}

/** Whether `value` is an object with no own enumerable field (`undefined`: not known, so no). */
function empty(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const _ in value) return false;
  return true;
}
