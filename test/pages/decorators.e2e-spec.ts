import { Cached, CacheKeyFrom, CachePage, VaryOn, type CacheErrorCode } from 'nestjs-page-cache';

// Decorators check their input when they are applied, before any app exists: nothing here depends
// on an HTTP adapter.
describe('page cache decorators reject bad input at decoration time', () => {
  it('@CacheKeyFrom with a model name holding glob syntax', () => {
    expect(() => {
      class Controller {
        @CacheKeyFrom('bad*name')
        show() {}
      }
      return Controller;
    }).toThrow(/bad\*name/);
  });

  it('@CachePage with a status that cannot be stored', () => {
    expect(() => {
      class Controller {
        @CachePage({ statuses: [200, 304] })
        show() {}
      }
      return Controller;
    }).toThrow(/statuses: 304/);
  });

  it('@CachePage with a negative ttl', () => {
    expect(() => {
      class Controller {
        @CachePage('-5s')
        show() {}
      }
      return Controller;
    }).toThrow(/"-5s"/);
    expect(() => CachePage(-5)).toThrow(/ttl: -5\b/);
  });

  it('@VaryOn with a header name holding a space', () => {
    expect(() => {
      @VaryOn('bad header')
      class Controller {}
      return Controller;
    }).toThrow(/"bad header"/);
  });

  it('@CachePage with a key holding key syntax, and a bad query list', () => {
    expect(() => CachePage({ key: 'a:b' })).toThrow(/"a:b"/);
    expect(() => CachePage({ query: ['page', ''] })).toThrow(/\["page",""\]/);
  });

  it('@CachePage, @VaryOn and @Cached with an unknown option name, with the closest known one', () => {
    expect(() => {
      class Controller {
        @CachePage({ ttll: '5m' } as never)
        show() {}
      }
      return Controller;
    }).toThrow("Unknown @CachePage option 'ttll' (did you mean 'ttl'?).");
    expect(() => CachePage({ earlyRefresh: { bta: 1 } } as never)).toThrow(
      "Unknown @CachePage option 'earlyRefresh.bta' (did you mean 'earlyRefresh.beta'?).",
    );
    expect(() => {
      @VaryOn({ cookie: ['theme'] } as never)
      class Controller {}
      return Controller;
    }).toThrow("Unknown @VaryOn option 'cookie' (did you mean 'cookies'?).");
    expect(() => {
      class Service {
        @Cached({ model: [] } as never)
        async total() {
          return 1;
        }
      }
      return Service;
    }).toThrow("Unknown @Cached option 'model' (did you mean 'models'?).");
    let code: CacheErrorCode | undefined;
    try {
      VaryOn({ users: true } as never);
    } catch (error) {
      code = (error as { code?: CacheErrorCode }).code;
    }
    expect(code).toBe('E_UNKNOWN_OPTION');
  });
});
