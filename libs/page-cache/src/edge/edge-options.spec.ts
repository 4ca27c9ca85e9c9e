import { resolveCacheOptions } from '../cache.options.js';
import { resolveEdgeOptions } from './edge-options.js';

describe('resolveEdgeOptions', () => {
  const purge = () => Promise.resolve();

  it('defaults the header to Surrogate-Key and keeps purge', () => {
    expect(resolveEdgeOptions(undefined)).toBeUndefined();
    expect(resolveEdgeOptions({})).toEqual({ header: 'Surrogate-Key' });
    expect(resolveEdgeOptions({ header: 'xkey', purge })).toEqual({ header: 'xkey', purge });
    expect(resolveEdgeOptions({ header: 'Cache-Tag' })).toEqual({ header: 'Cache-Tag' });
  });

  it('fails at startup with a message that names the option', () => {
    expect(() => resolveCacheOptions({ pages: { edge: 'varnish' as never } })).toThrow(
      /Invalid CacheModule option pages\.edge: "varnish"/,
    );
    expect(() => resolveCacheOptions({ pages: { edge: { header: 'X-Key' as never } } })).toThrow(
      /Invalid CacheModule option pages\.edge\.header: "X-Key"\. Expected 'Surrogate-Key'/,
    );
    expect(() => resolveCacheOptions({ pages: { edge: { purge: 'http://v' as never } } })).toThrow(
      /Invalid CacheModule option pages\.edge\.purge: "http:\/\/v"\. Expected a function/,
    );
    expect(resolveCacheOptions({ pages: { edge: { header: 'xkey', purge } } }).pages.edge).toEqual({
      header: 'xkey',
      purge,
    });
  });
});
