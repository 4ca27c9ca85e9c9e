import { CacheKeyFrom, CachePage, VaryOn } from 'nestjs-page-cache';

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
});
