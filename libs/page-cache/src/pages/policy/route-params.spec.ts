import { routeParamNames } from './route-params.js';

describe('routeParamNames', () => {
  it.each([
    ['/posts', []],
    ['/posts/:id', ['id']],
    [':tenant/posts/:id', ['tenant', 'id']],
    ['/geo/:lat-:lng', ['lat', 'lng']],
    ['/files/:name.:ext', ['name', 'ext']],
    ['/posts{/:id}', ['id']],
    ['/files/*splat', ['splat']],
    ['/q/:"with-dash"', ['with-dash']],
    ['/time/10::30/:id', ['id']],
    ['/literal\\:colon/:id', ['id']],
    ['/n/:id(^\\d+$)', ['id']],
    ['/n/:id(^\\d*$)/:slug', ['id', 'slug']],
  ])('%s has %o', (path, names) => {
    const found = routeParamNames(path);
    expect(found && [...found]).toEqual(names);
  });

  it('leaves a path with a bare wildcard unchecked (its name depends on the router)', () => {
    expect(routeParamNames('/assets/*')).toBeUndefined();
  });
});
