import { Collection, EntitySchema, type MikroORM } from '@mikro-orm/core';
import { mikroOrmWithEvents, type MikroOrmWithEvents } from '../fixtures/orm/mikro-orm-events.js';

class Label {
  id!: number;
  name!: string;
}
class Note {
  id!: number;
  title!: string;
  labels = new Collection<Label>(this);
}
class Content {
  id!: number;
  title!: string;
  kind!: string;
}
class Article extends Content {
  body?: string;
}

const ENTITIES = [
  new EntitySchema<Label>({
    class: Label,
    properties: { id: { type: 'number', primary: true }, name: { type: 'string' } },
  }),
  new EntitySchema<Note>({
    class: Note,
    properties: {
      id: { type: 'number', primary: true },
      title: { type: 'string' },
      labels: { kind: 'm:n', entity: () => Label, owner: true },
    },
  }),
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
];

/**
 * Writes a `flush()` makes beyond an entity's own row: the pivot table of a many-to-many
 * collection, and the table a child entity of single-table inheritance shares with its root. Events
 * are read off a real event emitter, after real SQLite writes.
 */
describe('MikroORM integration: many-to-many collections and inheritance', () => {
  let booted: MikroOrmWithEvents;
  let orm: MikroORM;
  let seen: string[];

  beforeEach(async () => {
    booted = await mikroOrmWithEvents(ENTITIES);
    ({ orm, seen } = booted);
  });
  afterEach(() => booted.close());

  async function noteWithLabelA() {
    const em = orm.em.fork();
    const a = em.create(Label, { id: 1, name: 'a' });
    const b = em.create(Label, { id: 2, name: 'b' });
    em.create(Label, { id: 3, name: 'c' });
    const note = em.create(Note, { id: 1, title: 'n' });
    note.labels.add(a);
    await em.flush();
    seen.length = 0;
    return { em, note, b };
  }

  it('a flush that changes only a collection names its owner and each item added or removed', async () => {
    const { em, note, b } = await noteWithLabelA();
    note.labels.set([b]);
    await em.flush();

    const fresh = await orm.em.fork().findOneOrFail(Note, 1, { populate: ['labels'] });
    expect(fresh.labels.getItems().map(l => l.name)).toEqual(['b']);
    expect(seen.sort()).toEqual([
      'entity.saved Label 1',
      'entity.saved Label 2',
      'entity.saved Note 1',
    ]);
  });

  it('a collection change in em.transactional() waits for the commit, and a rollback names nothing', async () => {
    const { note, b } = await noteWithLabelA();
    await expect(
      orm.em.fork().transactional(async em => {
        const managed = await em.findOneOrFail(Note, note.id, { populate: ['labels'] });
        managed.labels.add(em.getReference(Label, b.id));
        await em.flush();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(seen).toEqual([]);

    await orm.em.fork().transactional(async em => {
      const managed = await em.findOneOrFail(Note, note.id, { populate: ['labels'] });
      managed.labels.add(em.getReference(Label, b.id));
      await em.flush();
      expect(seen).toEqual([]);
    });
    expect(seen.sort()).toEqual(['entity.saved Label 2', 'entity.saved Note 1']);
  });

  it('a saved child entity (single-table inheritance) names its root model with the same id', async () => {
    const em = orm.em.fork();
    const article = em.create(Article, { id: 1, title: 'first', kind: 'article' });
    await em.flush();
    expect(seen).toEqual(['entity.saved Article 1', 'entity.saved Content 1']);

    seen.length = 0;
    await em.nativeUpdate(Article, { id: article.id }, { title: 'renamed' });
    expect(seen).toEqual(['entity.saved Article', 'entity.saved Content']);
  });
});
