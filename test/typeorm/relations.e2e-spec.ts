import { EventEmitter2 } from '@nestjs/event-emitter';
import { type CacheService, ENTITY_DELETED, ENTITY_SAVED } from 'nestjs-page-cache';
import type { EntityDescriptor } from '../../libs/page-cache/src/invalidation/entity-events.js';
import {
  ChildEntity,
  Column,
  type DataSource,
  Entity,
  JoinTable,
  ManyToMany,
  PrimaryGeneratedColumn,
  TableInheritance,
} from 'typeorm';
import { typeOrmSqliteApp, type TypeOrmSqliteApp } from '../fixtures/orm/typeorm-sqlite-app.js';

@Entity()
class Label {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  name!: string;
}

@Entity()
class Note {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  title!: string;

  @ManyToMany(() => Label)
  @JoinTable()
  labels!: Label[];
}

/** Single-table inheritance: every Content row, Articles included, is one table. */
@Entity()
@TableInheritance({ column: { type: 'varchar', name: 'kind' } })
class Content {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  title!: string;
}

@ChildEntity()
class Article extends Content {
  @Column({ nullable: true })
  body?: string;
}

/**
 * Writes TypeORM makes to rows other than the saved entity's own: the join table of a many-to-many
 * relation, and the table a child entity of single-table inheritance shares with its parents.
 */
describe('TypeORM subscriber: many-to-many relations and inheritance', () => {
  let app: TypeOrmSqliteApp;
  let db: DataSource;
  let cache: CacheService;

  beforeEach(async () => {
    app = await typeOrmSqliteApp([Label, Note, Content, Article], 'typeorm-relations');
    ({ db, cache } = app);
  });
  afterEach(() => app.close());

  it('a save that changes only a many-to-many relation clears both sides of each changed link', async () => {
    const [a, b, c] = await db
      .getRepository(Label)
      .save([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    const note = await db.getRepository(Note).save({ title: 'n', labels: [a!] });
    const other = await db.getRepository(Note).save({ title: 'other', labels: [c!] });
    const read = await db.getRepository(Note).findOneOrFail({
      where: { id: note.id },
      relations: { labels: true },
    });
    await cache.set('note', ['a'], { models: [{ model: Note, id: note.id }] });
    await cache.set('label a', 'a', { models: [{ model: Label, id: a!.id }] });
    await cache.set('label b', 'b', { models: [{ model: Label, id: b!.id }] });
    await cache.set('label c', 'c', { models: [{ model: Label, id: c!.id }] });
    await cache.set('other note', ['c'], { models: [{ model: Note, id: other.id }] });

    read.labels = [b!];
    await db.getRepository(Note).save(read);

    const now = await db.getRepository(Note).findOneOrFail({
      where: { id: note.id },
      relations: { labels: true },
    });
    expect(now.labels.map(l => l.name)).toEqual(['b']);
    // save() resolved: whatever was built from the note, or from a label that gained or lost it,
    // is gone; what was built from the untouched note and label stays.
    expect({
      note: await cache.get('note'),
      a: await cache.get('label a'),
      b: await cache.get('label b'),
      c: await cache.get('label c'),
      other: await cache.get('other note'),
    }).toEqual({ note: undefined, a: undefined, b: undefined, c: 'c', other: ['c'] });
  });

  it('removing an entity names the entities it was linked to as saved, not deleted', async () => {
    const [a] = await db.getRepository(Label).save([{ name: 'a' }]);
    const note = await db.getRepository(Note).save({ title: 'n', labels: [a!] });
    const seen: string[] = [];
    const events = app.module.get(EventEmitter2);
    for (const name of [ENTITY_SAVED, ENTITY_DELETED]) {
      events.on(name, ({ model, id }: EntityDescriptor) => {
        seen.push(`${name} ${String(model)} ${id}`);
      });
    }
    await cache.set('label a', 'a', { models: [{ model: Label, id: a!.id }] });

    await db.getRepository(Note).remove(note);
    expect(await cache.get('label a')).toBeUndefined();
    expect(await db.getRepository(Label).count()).toBe(1);
    expect(seen).toContain('entity.saved Label 1');
    expect(seen).not.toContain('entity.deleted Label 1');
  });

  it('a saved child entity (single-table inheritance) clears the lists of its parent model', async () => {
    const first = await db.getRepository(Article).save({ title: 'first' });
    await cache.set('contents', ['first'], { models: [Content] });
    await cache.set('content 1', 'first', { models: [{ model: Content, id: first.id }] });
    await cache.set('articles', ['first'], { models: [Article] });

    await db.getRepository(Article).save({ title: 'second' });
    expect((await db.getRepository(Content).find()).map(c => c.title)).toEqual(['first', 'second']);
    expect({
      contents: await cache.get('contents'),
      first: await cache.get('content 1'),
      articles: await cache.get('articles'),
    }).toEqual({ contents: undefined, first: 'first', articles: undefined });

    await db.getRepository(Article).save({ ...first, title: 'renamed' });
    // The same row, named as a Content (a page built from Content 1 reads it).
    expect(await cache.get('content 1')).toBeUndefined();
  });
});
