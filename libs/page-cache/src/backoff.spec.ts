import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles with each failure up to its longest pause, and starts over after a success', () => {
    const backoff = new Backoff(100, 500);
    expect(backoff.delayMs).toBe(100);
    expect([backoff.failed(), backoff.failed(), backoff.failed(), backoff.failed()]).toEqual([
      200, 400, 500, 500,
    ]);
    backoff.succeeded();
    expect(backoff.delayMs).toBe(100);
  });
});
