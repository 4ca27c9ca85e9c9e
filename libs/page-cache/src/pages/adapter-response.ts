import type { ServerResponse } from 'node:http';

/** A Fastify reply, as far as the page cache uses it. */
export interface FastifyReplyLike {
  raw: ServerResponse;
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
  /** Fastify sends nothing for this reply: the response is written to `raw` by its taker. */
  hijack?(): FastifyReplyLike;
}

/** Express's response or Fastify's reply: both carry a Node `ServerResponse`. */
export type AdapterResponse = ServerResponse | FastifyReplyLike;

/** The Node response behind an adapter's response object. */
export function rawResponse(response: AdapterResponse): ServerResponse {
  return 'raw' in response && typeof response.code === 'function'
    ? response.raw
    : (response as ServerResponse);
}
