import type { PagePolicy } from '../policy/page-policy.js';
import { LearnedVary, MAX_LEARNED_VARY } from './learned-vary.js';

const route = () => ({ view: 'Posts.show' }) as PagePolicy;

describe('LearnedVary', () => {
  it('keeps what each route learned, sorted, so processes that learn in another order key alike', () => {
    const learned = new LearnedVary();
    const [one, other] = [route(), route()];
    expect(learned.learn(one, ['x-b'])).toBeUndefined();
    expect(learned.learn(one, ['x-a', 'x-b'])).toBeUndefined();
    expect(learned.of(one)).toEqual(['x-a', 'x-b']);
    expect(learned.of(other)).toEqual([]);
  });

  it('never learns *, credentials or what is no header name: nothing of that response', () => {
    const learned = new LearnedVary();
    const policy = route();
    for (const name of ['*', 'cookie', 'authorization', 'proxy-authorization', 'a b']) {
      expect(learned.learn(policy, ['x-a', name])).toBe('not-learnable');
    }
    expect(learned.of(policy)).toEqual([]);
  });

  it(`learns at most ${MAX_LEARNED_VARY} headers per route`, () => {
    const learned = new LearnedVary();
    const policy = route();
    expect(learned.learn(policy, ['x-1', 'x-2', 'x-3'])).toBeUndefined();
    expect(learned.learn(policy, ['x-4', 'x-5'])).toBe('too-many');
    expect(learned.learn(policy, ['x-4'])).toBeUndefined();
    expect(learned.of(policy)).toEqual(['x-1', 'x-2', 'x-3', 'x-4']);
  });
});
