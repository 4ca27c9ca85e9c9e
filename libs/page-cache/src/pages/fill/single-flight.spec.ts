import { SingleFlight, within } from './single-flight.js';

describe('SingleFlight', () => {
  it('shares a render in progress and forgets it once settled', async () => {
    const fills = new SingleFlight();
    const done = fills.start('k');
    const pending = fills.get('k');
    expect(fills.has('k')).toBe(true);
    done.resolve({
      meta: { k: 'page', s: 200, h: [], e: '"x"', t: 0, l: 0, r: 0 },
      body: Buffer.from('b'),
    });
    expect((await pending)?.body.toString()).toBe('b');
    expect(fills.has('k')).toBe(false);
  });

  it('keeps a newer render registered when an older one settles', async () => {
    const fills = new SingleFlight();
    const older = fills.start('k');
    fills.start('k');
    older.resolve(undefined);
    await new Promise(resolve => setImmediate(resolve));
    expect(fills.has('k')).toBe(true);
  });
});

describe('within', () => {
  it('gives the value in time, or undefined after the bound', async () => {
    expect(await within(Promise.resolve(1), 1_000)).toBe(1);
    expect(await within(new Promise(() => undefined), 5)).toBeUndefined();
  });
});
