import { MikroOrmCacheInvalidation } from './mikro-orm/mikro-orm-invalidation.subscriber.js';
import { TypeOrmCacheInvalidation } from './typeorm/typeorm-invalidation.subscriber.js';
import { prismaCacheInvalidation } from './prisma/prisma-invalidation.extension.js';

// The names are checked first, before the ORM (absent here) is touched.
describe('ORM integrations refuse option names they do not take', () => {
  it('TypeORM and MikroORM, with the closest known name', () => {
    expect(
      () =>
        new TypeOrmCacheInvalidation(
          null as never,
          null as never,
          null as never,
          {
            outbx: false,
          } as never,
        ),
    ).toThrow("Unknown TypeOrmCacheInvalidation option 'outbx' (did you mean 'outbox'?).");
    expect(
      () =>
        new MikroOrmCacheInvalidation(null as never, null as never, undefined, {
          tabel: 'x',
        } as never),
    ).toThrow("Unknown MikroOrmCacheInvalidation option 'tabel' (did you mean 'table'?).");
  });

  it('Prisma', () => {
    expect(() => prismaCacheInvalidation(null as never, { primaryKey: {} } as never)).toThrow(
      "Unknown prismaCacheInvalidation option 'primaryKey' (did you mean 'primaryKeys'?).",
    );
  });
});
