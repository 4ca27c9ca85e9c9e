import type { PagePolicy } from '../policy/page-policy.js';
import { HEADER_NAME } from '../vary-on.decorator.js';

/** Most headers one route learns from its responses' `Vary`; past it, its pages are not stored. */
export const MAX_LEARNED_VARY = 4;

/**
 * Never learned: `*` names no header, and credentials are the principal's (a page that varies on
 * them is personalised, which only `@VaryOn` declares, with what it implies for `Cache-Control`).
 */
const NEVER_LEARNED = new Set(['*', 'cookie', 'authorization', 'proxy-authorization']);

const NONE: readonly string[] = [];

/** Why headers a response's `Vary` names could not be learned. */
export type NotLearned = 'not-learnable' | 'too-many';

/**
 * The request headers each route learned from its responses' `Vary` (Django's `learn_cache_key`),
 * in this process: renders add to it, keys read it (after the headers the route declares). Sorted,
 * so processes that learned the same headers in another order key alike.
 */
export class LearnedVary {
  private readonly byPolicy = new WeakMap<PagePolicy, readonly string[]>();

  /** The headers `policy`'s route learned, sorted (lower-case). */
  of(policy: PagePolicy): readonly string[] {
    return this.byPolicy.get(policy) ?? NONE;
  }

  /**
   * Adds lower-case header names to what `policy`'s route varies on: all of them, or none when one
   * may not be learned or the route would vary on more than {@link MAX_LEARNED_VARY} learned ones.
   */
  learn(policy: PagePolicy, names: readonly string[]): NotLearned | undefined {
    if (names.some(name => NEVER_LEARNED.has(name) || !HEADER_NAME.test(name))) {
      return 'not-learnable';
    }
    const learned = new Set([...this.of(policy), ...names]);
    if (learned.size > MAX_LEARNED_VARY) return 'too-many';
    this.byPolicy.set(policy, [...learned].sort());
    return undefined;
  }
}
