import { ENTITY_DELETED, ENTITY_SAVED } from 'nestjs-page-cache';
import { Collection, EntitySchema, type MikroORM } from '@mikro-orm/core';
import { mikroOrmWithEvents, type MikroOrmWithEvents } from '../fixtures/orm/mikro-orm-events.js';

class Content {
  id!: number;
  title!: string;
  kind!: string;
}
class Article extends Content {
  body?: string;
}
class Topic {
  id!: number;
  name!: string;
}
class Thread {
  id!: number;
  title!: string;
  topics = new Collection<Topic>(this);
}
/** Deleted with its thread by the database. */
class Reply {
  id!: number;
  text!: string;
  thread!: Thread;
}
/** Deleted with its reply, hence with the reply's thread: a cascade two levels down. */
class Reaction {
  id!: number;
  reply!: Reply;
}
/** Outlives its thread: the database sets its key to NULL. */
class Bookmark {
  id!: number;
  thread?: Thread | null;
}

const ENTITIES = [
  new EntitySchema<Content>({
    class: Content,
    discriminatorColumn: 'kind',
    discriminatorMap: { content: 'Content', article: 'Article' },
    properties: {
      id: { type: 'number', primary: true },
      title: { type: 'string' },
      kind: { type: 'string' },
    },
  }),
  new EntitySchema<Article, Content>({
    class: Article,
    extends: 'Content',
    properties: { body: { type: 'string', nullable: true } },
  }),
  new EntitySchema<Topic>({
    class: Topic,
    properties: { id: { type: 'number', primary: true }, name: { type: 'string' } },
  }),
  new EntitySchema<Thread>({
    class: Thread,
    properties: {
      id: { type: 'number', primary: true },
      title: { type: 'string' },
      topics: { kind: 'm:n', entity: () => Topic, owner: true },
    },
  }),
  new EntitySchema<Reply>({
    class: Reply,
    properties: {
      id: { type: 'number', primary: true },
      text: { type: 'string' },
      thread: { kind: 'm:1', entity: () => Thread, deleteRule: 'cascade' },
    },
  }),
  new EntitySchema<Reaction>({
    class: Reaction,
    properties: {
      id: { type: 'number', primary: true },
      reply: { kind: 'm:1', entity: () => Reply, deleteRule: 'cascade' },
    },
  }),
  new EntitySchema<Bookmark>({
    class: Bookmark,
    properties: {
      id: { type: 'number', primary: true },
      thread: { kind: 'm:1', entity: () => Thread, nullable: true }, // set null by default
    },
  }),
];

/**
 * Rows a write changes that no entity of the write stands for: the rows of entities extending the
 * model written through (`nativeUpdate(Content, …)` changes `Article` rows), and the rows the
 * database deletes or changes with a deleted one (delete rules `cascade` and `set null`, pivot
 * rows). Events are read off a real event emitter, after real SQLite writes.
 */
describe('MikroORM integration: writes through a parent model, and database cascades', () => {
  let booted: MikroOrmWithEvents;
  let orm: MikroORM;
  let seen: string[];

  beforeEach(async () => {
    booted = await mikroOrmWithEvents(ENTITIES);
    ({ orm, seen } = booted);
    const em = orm.em.fork();
    em.create(Article, { id: 1, title: 'first', kind: 'article' });
    const thread = em.create(Thread, { id: 1, title: 't' });
    thread.topics.add(em.create(Topic, { id: 1, name: 'cats' }));
    const reply = em.create(Reply, { id: 1, text: 'hello', thread });
    em.create(Reaction, { id: 1, reply });
    em.create(Bookmark, { id: 1, thread });
    await em.flush();
    seen.length = 0;
  });
  afterEach(() => booted.close());

  type Em = ReturnType<MikroORM['em']['fork']>;

  it.each([
    ['nativeUpdate', (em: Em) => em.nativeUpdate(Content, { id: 1 }, { title: 'renamed' })],
    ['nativeDelete', (em: Em) => em.nativeDelete(Content, { id: 1 })],
  ])('%s of the root model names the child model, whose row it changed', async (_, write) => {
    await write(orm.em.fork());
    expect(seen).toEqual(expect.arrayContaining([expect.stringMatching(/ Article$/)]));
  });

  it.each([
    ['nativeDelete', (em: Em) => em.nativeDelete(Thread, { id: 1 })],
    [
      'em.remove() and flush()',
      async (em: Em) => em.remove(await em.findOneOrFail(Thread, 1)).flush(),
    ],
  ])('%s of a thread names what the database deleted or changed with it', async (_, remove) => {
    await remove(orm.em.fork());

    const em = orm.em.fork();
    expect(await em.count(Reply)).toBe(0);
    expect(await em.count(Reaction)).toBe(0);
    expect((await em.findOneOrFail(Bookmark, 1)).thread).toBeNull();
    expect(seen).toEqual(
      expect.arrayContaining([
        `${ENTITY_DELETED} Reply`,
        `${ENTITY_DELETED} Reaction`,
        `${ENTITY_SAVED} Bookmark`,
        `${ENTITY_SAVED} Topic`,
      ]),
    );
  });
});
