import type { BypassReason } from '../../cache-statistics.js';
import type { OnceWarnings } from '../once-warnings.js';
import type { PageRequest } from '../page-metadata.js';
import type { PagePolicy } from '../policy/page-policy.js';
import { adviceMessage, BYPASS_ADVICE, type AdvisedReason } from './bypass-advice.js';
import { PortChurn } from './port-churn.js';

/** A route's first requests that must all bypass for `authorization` before it is said. */
export const AUTHORIZATION_REQUESTS = 10;
/** A route's `authorization` count once it is settled: said, or some request of it was not one. */
const SETTLED = -1;

/**
 * Says, once per route and reason, why a route's pages are not stored when the app can fix it
 * (see `BYPASS_ADVICE`). Told of every bypass where they are counted, and of every miss.
 */
export class BypassAdvisor {
  /** Per route: how many of its first requests bypassed for `authorization`, or SETTLED. */
  private readonly authorization = new WeakMap<PagePolicy, number>();
  /** Per route, the reasons said (or found not advised): a repeat costs no string. */
  private readonly said = new WeakMap<PagePolicy, Set<AdvisedReason>>();
  private readonly ports = new PortChurn();

  constructor(
    private readonly warnings: OnceWarnings,
    /** Routes keyed by the request as sent (their keys hold the Host's port). */
    private readonly rawSpellings: WeakSet<PagePolicy>,
  ) {}

  /** A request or response of `policy` kept out of the cache, with what the message names. */
  bypassed(policy: PagePolicy, reason: BypassReason, detail?: string): void {
    if (reason === 'authorization') {
      // One request with a token is a user's own; every request with one is the app's set-up.
      const count = this.authorization.get(policy) ?? 0;
      if (count === SETTLED) return;
      if (count + 1 < AUTHORIZATION_REQUESTS) {
        this.authorization.set(policy, count + 1);
        return;
      }
      this.authorization.set(policy, SETTLED);
      detail = String(AUTHORIZATION_REQUESTS);
    } else {
      this.settle(policy);
    }
    this.say(policy, reason, detail);
  }

  /** A request of `policy` that found no page and runs its handler (never a hit). */
  missed(policy: PagePolicy, request: PageRequest): void {
    this.settle(policy);
    if (this.ports.seen(request) && this.rawSpellings.has(policy)) {
      this.say(policy, 'changing-port', String(request.headers.host));
    }
  }

  private settle(policy: PagePolicy): void {
    if (this.authorization.get(policy) !== SETTLED) this.authorization.set(policy, SETTLED);
  }

  private say(policy: PagePolicy, reason: AdvisedReason, detail?: string): void {
    let said = this.said.get(policy);
    if (said?.has(reason)) return;
    const message = adviceMessage(policy.view, reason, detail);
    // An advised reason without the detail its message needs is said by a later case that has it.
    if (message === undefined && BYPASS_ADVICE[reason] !== undefined) return;
    if (!said) this.said.set(policy, (said = new Set()));
    said.add(reason);
    if (message !== undefined) this.warnings.warn(message, `${policy.view}\u0000${reason}`);
  }
}
