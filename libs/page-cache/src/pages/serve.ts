import type { ServerResponse } from 'node:http';
import type { AdapterResponse, FastifyReplyLike } from './adapter-response.js';
import type { StoredPage } from './stored-page.js';
import type { PageRequest } from './page-metadata.js';

/** How a stored page is labelled in `X-Cache`. */
export type HitLabel = 'HIT' | 'STALE';

/**
 * What runs after a stored page is written: nothing (the early hit path, before Nest), or Nest's
 * `send` of the handler's result, or its `render` (a `@Render()` handler).
 */
export type AfterWrite = 'nothing' | 'send' | 'render';

/**
 * Writes a stored page to the response, the same on both adapters: the stored status, headers and
 * body bytes as they are, plus `ETag`, `X-Cache` and `Age`; `304` without a body for a matching
 * `If-None-Match` on a 2xx page; no body for `HEAD`.
 * @returns what Nest must be given as the handler's result, and the body bytes sent.
 */
export function writeStoredPage(
  request: PageRequest,
  response: AdapterResponse,
  raw: ServerResponse,
  after: AfterWrite,
  page: StoredPage,
  label: HitLabel,
): { result: unknown; bytesSent: number } {
  const { meta, body } = page;
  const age = Math.max(0, Math.floor((Date.now() - meta.t) / 1000));
  // Preconditions apply to 2xx pages only (RFC 9110 §13.2.1): a stored 404 is never a 304.
  const notModified =
    meta.s >= 200 && meta.s < 300 && etagMatches(request.headers['if-none-match'], meta.e);
  // A 304 carries the validators and caching headers, not the description of a body.
  const stored = notModified ? withoutBodyHeaders(meta.h, meta.e) : flatHeadersOf(page);
  const status = notModified ? 304 : meta.s;
  // 204 and 304 answers have no body, nor a Content-Length (RFC 9110 §8.6); HEAD ones send none.
  const bodiless = notModified || status === 204;
  const bytesSent = bodiless || request.method === 'HEAD' ? 0 : body.length;
  if (response !== raw) {
    const reply = response as FastifyReplyLike;
    reply.code(status);
    for (let i = 0; i < stored.length; i += 2) reply.header(stored[i]!, stored[i + 1]!);
    reply.header('x-cache', label);
    reply.header('age', String(age));
    // Fastify sends a Buffer as it is, and leaves the body out of HEAD and 304 answers.
    const payload = bodiless ? undefined : body;
    if (after === 'render') {
      // Nest hands a @Render() handler's result to reply.view(): the page is rendered already.
      (reply as typeof reply & { view?: unknown }).view = function (this: typeof reply) {
        return this.send(payload);
      };
    }
    return { result: payload, bytesSent };
  }
  const flat = bodiless
    ? stored.concat('x-cache', label, 'age', String(age))
    : hitHead(page, label, age);
  // Read only (see `hitHead`).
  raw.writeHead(status, flat as string[]);
  if (bodiless || request.method === 'HEAD') raw.end();
  else raw.end(body);
  // Nest then calls res.send() (or res.render(), which would run the template) on the answered
  // response: they have nothing left to do. Before Nest (`nothing`), the response is left as it is.
  if (after === 'nothing') return { result: undefined, bytesSent };
  const answeredRaw = raw as ServerResponse & { send?: () => unknown; render?: () => unknown };
  if (after === 'render') answeredRaw.render = answered;
  else answeredRaw.send = answered;
  return { result: undefined, bytesSent };
}

/**
 * The flat head of a page's answer with a body: its stored headers, `X-Cache`, `Age` and
 * `Content-Length`, kept on the page while its label and age stay the same (a hot page's hits in
 * one second share one). Read only: Node's `writeHead` does not change the list it is given.
 */
function hitHead(page: StoredPage, label: HitLabel, age: number): readonly string[] {
  const kept = page.hitHead;
  if (kept !== undefined && kept.age === age && kept.label === label) return kept.flat;
  const flat = flatHeadersOf(page).concat(
    'x-cache',
    label,
    'age',
    String(age),
    'content-length',
    String(page.body.length),
  );
  page.hitHead = { label, age, flat };
  return flat;
}

/** The stored headers and the ETag, flat, built once per page (see `StoredPage.flatHeaders`). */
function flatHeadersOf(page: StoredPage): readonly string[] {
  if (page.flatHeaders !== undefined) return page.flatHeaders;
  const flat: string[] = [];
  for (const [name, value] of page.meta.h) flat.push(name, value);
  flat.push('etag', page.meta.e);
  return (page.flatHeaders = flat);
}

/** The stored headers but those describing a body (`content-*`), and the ETag, flat. */
function withoutBodyHeaders(headers: readonly [string, string][], etag: string): string[] {
  const flat: string[] = [];
  for (const [name, value] of headers) if (!name.startsWith('content-')) flat.push(name, value);
  flat.push('etag', etag);
  return flat;
}

function answered(this: ServerResponse): ServerResponse {
  return this;
}

/**
 * Whether `If-None-Match` matches a stored page's ETag (weak comparison, RFC 9110 §13.1.2);
 * entity-tags are read as quoted strings, so one that contains a comma matches whole.
 */
export function etagMatches(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const header = Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch;
  const wanted = etag.startsWith('W/') ? etag.slice(2) : etag;
  let i = 0;
  while (i < header.length) {
    const c = header[i]!;
    if (c === ' ' || c === '\t' || c === ',') {
      i++;
      continue;
    }
    if (c === '*') return true;
    let start = i;
    if (header.startsWith('W/', i)) start = i += 2;
    if (header[i] !== '"') {
      // Not an entity-tag: skip to the next list member.
      const next = header.indexOf(',', i);
      if (next === -1) return false;
      i = next + 1;
      continue;
    }
    const close = header.indexOf('"', i + 1);
    if (close === -1) return false;
    if (header.slice(start, close + 1) === wanted) return true;
    i = close + 1;
  }
  return false;
}
