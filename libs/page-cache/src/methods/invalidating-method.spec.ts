import type { EntityEventPayload } from '../invalidation/entity-events.js';
import type { ModelSpec } from '../pages/page-metadata.js';
import { invalidatingMethod } from './invalidating-method.js';

/** Wraps `method` with `spec`, recording what it invalidates and what it logs. */
function wrap(spec: ModelSpec, method: (...args: unknown[]) => Promise<unknown>) {
  const invalidated: EntityEventPayload[] = [];
  const errors: string[] = [];
  const wrapped = invalidatingMethod(
    method,
    'Prices.save',
    spec,
    async payload => {
      invalidated.push(payload);
    },
    message => errors.push(message),
  );
  return { wrapped, invalidated, errors };
}

describe('invalidatingMethod', () => {
  it('invalidates the models and the ids read from the arguments and the result, then returns', async () => {
    const { wrapped, invalidated } = wrap(
      {
        models: ['Catalogue'],
        entities: [],
        calls: [
          { model: 'Price', idFrom: ([sku]) => sku as string },
          { model: 'Receipt', idFrom: (_args, result) => (result as { id: number }).id },
          { model: 'Tag', idFrom: () => ['a', 'b'] },
        ],
      },
      async (sku: unknown) => ({ id: 7, sku }),
    );
    expect(await wrapped('A-1')).toEqual({ id: 7, sku: 'A-1' });
    expect(invalidated).toEqual([
      { model: 'Catalogue' },
      { model: 'Price', id: 'A-1' },
      { model: 'Receipt', id: 7 },
      { model: 'Tag', id: 'a' },
      { model: 'Tag', id: 'b' },
    ]);
  });

  it('keeps `this`, and invalidates only once the method resolved', async () => {
    const order: string[] = [];
    const target = {
      name: 'service',
      async save(this: { name: string }) {
        await Promise.resolve();
        order.push(`saved by ${this.name}`);
      },
    };
    const wrapped = invalidatingMethod(
      target.save as (...args: unknown[]) => Promise<unknown>,
      'Prices.save',
      { models: ['Price'], entities: [] },
      async () => {
        order.push('invalidated');
      },
      () => undefined,
    );
    await wrapped.call(target);
    expect(order).toEqual(['saved by service', 'invalidated']);
  });

  it('invalidates nothing when the method rejects', async () => {
    const { wrapped, invalidated } = wrap({ models: ['Price'], entities: [] }, async () => {
      throw new Error('no');
    });
    await expect(wrapped()).rejects.toThrow('no');
    expect(invalidated).toEqual([]);
  });

  it.each([
    ['returns undefined', () => undefined, false],
    ['returns null', () => null, false],
    ['returns an empty list', () => [], false],
    ['returns an object', () => ({ id: 1 }), true],
    ['returns an empty string', () => '', true],
    ['returns NaN', () => NaN, true],
    [
      'throws',
      () => {
        throw new Error('boom');
      },
      true,
    ],
  ])('invalidates every entity of the model when idFrom %s', async (_, idFrom, logged) => {
    const { wrapped, invalidated, errors } = wrap(
      // What a JavaScript caller (or an `any`) can hand over, whatever the type says.
      { models: [], entities: [], calls: [{ model: 'Price', idFrom: idFrom as () => string }] },
      async () => 'done',
    );
    expect(await wrapped()).toBe('done');
    expect(invalidated).toEqual([{ model: 'Price' }]);
    expect(errors).toHaveLength(logged ? 1 : 0);
    if (logged) expect(errors[0]).toMatch(/@Invalidates on Prices\.save: idFrom of Price/);
  });
});
