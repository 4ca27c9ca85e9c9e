import { permutations } from './context.js';
import { median, medianInterval } from './stats.js';

describe('medianInterval', () => {
  const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

  it('picks the order statistics whose binomial coverage first reaches 95 %', () => {
    // n = 12: P(X ≤ 2) = 79/4096, so [x(3), x(10)] covers 1 − 2·79/4096 ≈ 96.1 %; [x(4), x(9)]
    // would cover only 85.4 %.
    expect(medianInterval(oneTo(12))).toEqual({ low: 3, high: 10, confidence: 1 - 158 / 4096 });
    // n = 6: only the whole range reaches 95 % (1 − 2/64).
    expect(medianInterval(oneTo(6))).toEqual({ low: 1, high: 6, confidence: 62 / 64 });
    expect(medianInterval(oneTo(24), 0.95)).toMatchObject({ low: 7, high: 18 });
  });

  it('sorts its input and falls back to the whole range when rounds are too few', () => {
    expect(medianInterval([5, 1, 3])).toEqual({ low: 1, high: 5, confidence: 0.75 });
    expect(medianInterval([2])).toEqual({ low: 2, high: 2, confidence: 0 });
    expect(medianInterval([]).confidence).toBe(0);
  });

  it('holds the median', () => {
    const values = [0.97, 1.02, 0.99, 1.05, 0.94, 1.01, 1.0, 0.98, 1.03, 0.96, 1.04, 0.95];
    const { low, high } = medianInterval(values);
    expect(low).toBeLessThanOrEqual(median(values));
    expect(high).toBeGreaterThanOrEqual(median(values));
    expect([low, high]).toEqual([0.96, 1.03]);
  });
});

describe('permutations (the balanced order of the rounds)', () => {
  it('lists every order once, each item leading and following each other equally often', () => {
    const orders = permutations(['a', 'b', 'c']);
    expect(orders).toHaveLength(6);
    expect(new Set(orders.map(order => order.join(''))).size).toBe(6);
    for (const item of ['a', 'b', 'c']) {
      for (let position = 0; position < 3; position++) {
        expect(orders.filter(order => order[position] === item)).toHaveLength(2);
      }
    }
    expect(orders.filter(order => order.indexOf('a') < order.indexOf('b'))).toHaveLength(3);
    expect(permutations(['x'])).toEqual([['x']]);
  });
});
