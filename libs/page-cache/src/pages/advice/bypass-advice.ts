import type { BypassReason } from '../../cache-statistics.js';
import { RENDER_LEASE_MS } from '../../dependency-tracker.js';

/** A reason the page cache logs, once per route: a bypass, or a MISS on every request. */
export type AdvisedReason = BypassReason | 'changing-port';

/** What happened to a route's pages, and what the app can do about it. */
export interface Advice {
  /** What happened; a function of the case's detail (a header, a directive, a size…) if it has one. */
  what: string | ((detail: string) => string);
  /** The fix, one or two sentences (the docs' table of messages holds it word for word). */
  fix: string;
}

/**
 * The one table of the page cache's once-per-route messages, by reason. A reason that is not here
 * is not the app's to fix, or is one request's own (a `HEAD`, a 404, a client's `Authorization`
 * now and then, a forged host): it is counted in `stats().pages.bypasses` and not logged.
 */
export const BYPASS_ADVICE: Readonly<Partial<Record<AdvisedReason, Advice>>> = {
  'set-cookie': {
    what: 'its response sets a cookie, so it is never stored',
    fix: 'Set cookies on routes that are not cached (express-session: saveUninitialized: false, so sessions start only when there is something to keep), or mark the route @NoCache().',
  },
  vary: {
    what: vary =>
      `its response says Vary: ${vary}, which its key cannot cover, so it is never stored`,
    fix: "Vary: *, Cookie or Authorization: key its pages per user with @VaryOn({ user: true }) and drop the header, or drop the header where the page does not depend on it; other request headers, more than a route learns on its own (4): declare them with @VaryOn('<header>', …).",
  },
  encoding: {
    what: encoding =>
      `its response is already encoded (Content-Encoding: ${encoding}), so it is never stored`,
    fix: 'Return the body unencoded and let a compression middleware or the reverse proxy compress it.',
  },
  authorization: {
    what: count =>
      `its first ${count} requests all carried an Authorization header, so none was cached`,
    fix: "Per-user pages: @VaryOn({ user: true }) (with CacheModule's user option when the principal is not req.user.id); public pages: do not send Authorization to them.",
  },
  'cache-control': {
    what: directive => `its response says Cache-Control: ${directive}, so it is never stored`,
    fix: 'Drop the directive from cached routes (a middleware may be setting it), or mark the route @NoCache() if it must not be cached.',
  },
  stream: {
    what: 'its response is streamed (a StreamableFile, or res.write() before the end), so it is never stored',
    fix: 'Return the body whole (a string, an object or a Buffer) to cache it, or mark the route @NoCache().',
  },
  size: {
    what: size => `its response of ${size} bytes is over maxEntrySize, so it is not stored`,
    fix: "Raise CacheModule's maxEntrySize, or mark the route @NoCache().",
  },
  store: {
    what: 'the store is unreachable, so its pages are served uncached until it answers',
    fix: 'The CacheStore warning names the store and the cause.',
  },
  'render-time': {
    what: seconds =>
      `a render took ${seconds} s, longer than the ${RENDER_LEASE_MS / 1000} s a miss holds its data's generation tokens, so its page was not stored`,
    fix: 'Make the render faster, or cache its slow part with getOrSet().',
  },
  'entity-id': {
    what: model => `a ${model} id in a request was not in canonical form (such as 07 for 7)`,
    fix: 'Give @CacheKeyFrom({ model, id, parse }) a parse function (such as Number), so that ids are keyed as your events name them.',
  },
  principal: {
    what: 'it varies on the user, but the principal of a request with credentials came out undefined, empty or an object',
    fix: "Set CacheModule's user option (request => request.user?.userId), or put the id in req.user.id.",
  },
  variant: {
    what: problem => `a @VaryOn function ${problem}`,
    fix: 'Make @VaryOn functions return a string or a number, and undefined when their input is missing.',
  },
  'changing-port': {
    what: host =>
      `its pages are keyed by the Host as sent, and its port changed on each of the last requests (now ${host}), so every request is a MISS`,
    fix: 'A test server started per request (supertest after app.init()): call await app.listen(0) instead, so that all requests go to one port.',
  },
};

/**
 * The message for a route and reason — `<route>: <what happened> (<reason>). <fix>` — or
 * `undefined` when the reason is not advised (or its message needs a detail it was not given).
 */
export function adviceMessage(
  route: string,
  reason: AdvisedReason,
  detail?: string,
): string | undefined {
  const advice = BYPASS_ADVICE[reason];
  if (!advice) return undefined;
  if (typeof advice.what === 'string') return `${route}: ${advice.what} (${reason}). ${advice.fix}`;
  if (detail === undefined) return undefined;
  return `${route}: ${advice.what(detail)} (${reason}). ${advice.fix}`;
}
