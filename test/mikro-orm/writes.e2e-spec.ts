import { EntitySchema, type MikroORM } from '@mikro-orm/core';
import { mikroOrmWithEvents, type MikroOrmWithEvents } from '../fixtures/orm/mikro-orm-events.js';

class Book {
  id!: number;
  title!: string;
}

class Edition {
  bookId!: number;
  lang!: string;
  title!: string;
}

const ENTITIES = [
  new EntitySchema<Book>({
    class: Book,
    properties: {
      id: { type: 'number', primary: true, autoincrement: true },
      title: { type: 'string' },
    },
  }),
  new EntitySchema<Edition>({
    class: Edition,
    properties: {
      bookId: { type: 'number', primary: true, autoincrement: false },
      lang: { type: 'string', primary: true },
      title: { type: 'string' },
    },
  }),
];

/**
 * The MikroORM writes the contract suite does not make: upserts, native inserts and deletes, and a
 * changed primary key. Events are read off a real event emitter, after real SQLite writes.
 */
describe('MikroORM writes outside the unit of work', () => {
  let booted: MikroOrmWithEvents;
  let orm: MikroORM;
  let seen: string[];

  beforeEach(async () => {
    booted = await mikroOrmWithEvents(ENTITIES);
    ({ orm, seen } = booted);
    const em = orm.em.fork();
    em.create(Book, { title: 'a' });
    em.create(Edition, { bookId: 1, lang: 'en', title: 'en' });
    await em.flush();
    seen.length = 0;
  });
  afterEach(() => booted.close());

  it('an upsert names its row', async () => {
    await orm.em.fork().upsert(Book, { id: 1, title: 'upserted' });
    expect(seen).toEqual(['entity.saved Book 1']);
  });

  it('native inserts and deletes name the model as a whole', async () => {
    const em = orm.em.fork();
    await em.insert(Book, { title: 'b' });
    await em.insertMany(Book, [{ title: 'c' }, { title: 'd' }]);
    await em.nativeDelete(Book, { title: 'b' });
    expect(seen).toEqual(['entity.saved Book', 'entity.saved Book', 'entity.deleted Book']);
  });

  it('a native update waits for its transaction, and none is emitted on rollback', async () => {
    await expect(
      orm.em.fork().transactional(async em => {
        await em.nativeUpdate(Book, { id: 1 }, { title: 'rolled back' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(seen).toEqual([]);
    await orm.em.fork().transactional(async em => {
      await em.nativeUpdate(Book, { id: 1 }, { title: 'committed' });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['entity.saved Book']);
  });

  it('a composite key is encoded as pages name it, and a changed key names the old one too', async () => {
    const em = orm.em.fork();
    const edition = await em.findOneOrFail(Edition, { bookId: 1, lang: 'en' });
    edition.title = 'en v1';
    await em.flush();
    expect(seen).toEqual(['entity.saved Edition 1,en']);
    seen.length = 0;
    edition.lang = 'en-GB';
    await em.flush();
    expect(seen).toEqual(['entity.saved Edition 1,en-GB', 'entity.saved Edition 1,en']);
  });
});
