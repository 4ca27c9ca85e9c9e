import { ServerResponse } from 'node:http';
import type { FastifyReplyLike } from '../adapter-response.js';

/**
 * Takes an early hit's Fastify reply over, to be written to Node's response as on Express: past
 * Fastify's send (a headers object, a payload check, the hooks' runners), which costs a near hit
 * as much as the rest of its work. Only where that changes nothing the client or the app sees:
 * the route runs no hook while a reply is sent (`quietSend`, judged once) and no earlier hook set
 * a header on the reply (those set on the response are kept). Fastify's `onResponse` hooks and
 * its request log still run: it listens for the response's end before any hook.
 * @returns the response to write to (the reply hijacked), or `undefined`: send through the reply.
 */
export function directReply(reply: FastifyReplyLike): ServerResponse | undefined {
  // HTTP/1 only: an HTTP/2 response takes its head differently.
  if (typeof reply.hijack !== 'function' || !(reply.raw instanceof ServerResponse))
    return undefined;
  const headers = replyHeaders(reply);
  if (headers === undefined) return undefined;
  for (const _ in headers) return undefined;
  reply.hijack();
  return reply.raw;
}

/** Fastify's symbol of a reply's own headers, found on the first reply (`null`: none). */
let headersSymbol: symbol | null | undefined;

function replyHeaders(reply: object): object | undefined {
  headersSymbol ??=
    Object.getOwnPropertySymbols(reply).find(
      symbol => symbol.description === 'fastify.reply.headers',
    ) ?? null;
  if (headersSymbol === null) return undefined;
  const headers = (reply as Record<symbol, unknown>)[headersSymbol];
  return typeof headers === 'object' && headers !== null ? headers : undefined;
}
