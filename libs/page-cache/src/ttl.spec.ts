import { parseTtl } from './ttl.js';

describe('parseTtl', () => {
  it.each([
    [0, 0],
    [1500, 1500],
    [0.2, 1],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
    ['2w', 1_209_600_000],
  ])('parses %j as %d ms', (input, expected) => {
    expect(parseTtl(input)).toBe(expected);
  });

  it.each([
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '',
    '5',
    '5 minutes',
    '-5s',
    'abc',
    null,
    {},
    true,
  ])('rejects %j with a TypeError naming it', input => {
    expect(() => parseTtl(input)).toThrow(TypeError);
    expect(() => parseTtl(input)).toThrow(/Invalid ttl/);
  });

  it('names the option in the message', () => {
    expect(() => parseTtl(-5, 'pages.ttl')).toThrow('Invalid pages.ttl: -5');
  });
});
