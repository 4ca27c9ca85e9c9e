import type { CacheService } from 'nestjs-page-cache';
import {
  ChildEntity,
  Column,
  type DataSource,
  Entity,
  JoinTable,
  ManyToMany,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  TableInheritance,
} from 'typeorm';
import { typeOrmSqliteApp, type TypeOrmSqliteApp } from '../fixtures/orm/typeorm-sqlite-app.js';

/** Single-table inheritance, as in test/typeorm/relations.e2e-spec.ts. */
@Entity()
@TableInheritance({ column: { type: 'varchar', name: 'kind' } })
class Doc {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  title!: string;
}

@ChildEntity()
class Story extends Doc {
  @Column({ nullable: true })
  body?: string;
}

@Entity()
class Topic {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  name!: string;
}

@Entity()
class Thread {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  title!: string;

  @OneToMany(() => Reply, reply => reply.thread)
  replies!: Reply[];

  @ManyToMany(() => Topic)
  @JoinTable()
  topics!: Topic[];
}

/** A reply is deleted with its thread by the database (the usual ON DELETE CASCADE). */
@Entity()
class Reply {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  text!: string;

  @ManyToOne(() => Thread, thread => thread.replies, { onDelete: 'CASCADE' })
  thread!: Thread;
}

/** Deleted with its reply, hence with the reply's thread: a cascade two levels down. */
@Entity()
class Reaction {
  @PrimaryGeneratedColumn()
  id!: number;

  @ManyToOne(() => Reply, { onDelete: 'CASCADE' })
  reply!: Reply;
}

/** Outlives its thread: the database sets its key to NULL, which changes the row. */
@Entity()
class Bookmark {
  @PrimaryGeneratedColumn()
  id!: number;

  @ManyToOne(() => Thread, { nullable: true, onDelete: 'SET NULL' })
  thread!: Thread | null;
}

describe('TypeORM subscriber: writes through a parent model, and database cascades', () => {
  let app: TypeOrmSqliteApp;
  let db: DataSource;
  let cache: CacheService;

  beforeEach(async () => {
    app = await typeOrmSqliteApp(
      [Doc, Story, Topic, Thread, Reply, Reaction, Bookmark],
      'typeorm-cascade',
    );
    ({ db, cache } = app);
  });
  afterEach(() => app.close());

  it.each([
    [
      'update(id, …) through the parent repository',
      (id: number) => db.getRepository(Doc).update(id, { title: 'new' }),
    ],
    [
      'save({ id, … }) through the parent repository',
      (id: number) => db.getRepository(Doc).save({ id, title: 'new' }),
    ],
  ])('a child row changed with %s clears what was built from the child', async (_, write) => {
    const story = await db.getRepository(Story).save({ title: 'old' });
    await cache.set('story', 'old', { models: [{ model: Story, id: story.id }] });
    await cache.set('stories', ['old'], { models: [Story] });

    await write(story.id);

    const now = await db.getRepository(Story).findOneByOrFail({ id: story.id });
    expect(now.title).toBe('new');
    expect({ story: await cache.get('story'), stories: await cache.get('stories') }).toEqual({
      story: undefined,
      stories: undefined,
    });
  });

  it('a child row removed through the parent repository clears what was built from it', async () => {
    const story = await db.getRepository(Story).save({ title: 'old' });
    await cache.set('story', 'old', { models: [{ model: Story, id: story.id }] });

    await db.getRepository(Doc).delete(story.id);

    expect(await cache.get('story')).toBeUndefined();
  });

  describe.each([
    ['remove(thread)', (thread: Thread) => db.getRepository(Thread).remove(thread)],
    ['delete(id)', (thread: Thread) => db.getRepository(Thread).delete(thread.id)],
  ])('rows the database changes with a thread removed by %s', (_, removeThread) => {
    let thread: Thread;
    beforeEach(async () => {
      const topic = await db.getRepository(Topic).save({ name: 'cats' });
      thread = await db.getRepository(Thread).save({ title: 't', topics: [topic] });
      const reply = await db.getRepository(Reply).save({ text: 'hello', thread });
      const reaction = await db.getRepository(Reaction).save({ reply });
      const bookmark = await db.getRepository(Bookmark).save({ thread });
      await cache.set('reply', 'hello', { models: [{ model: Reply, id: reply.id }] });
      await cache.set('replies', ['hello'], { models: [Reply] });
      await cache.set('reaction', 1, { models: [{ model: Reaction, id: reaction.id }] });
      await cache.set('bookmark', 't', { models: [{ model: Bookmark, id: bookmark.id }] });
      await cache.set('topic', ['t'], { models: [{ model: Topic, id: topic.id }] });
    });

    it('are not served: cascaded deletes (at any depth), keys set to NULL, links', async () => {
      await removeThread(thread);

      // The database removed the reply (and its reaction) with its thread, and unset the bookmark.
      expect(await db.getRepository(Reply).count()).toBe(0);
      expect(await db.getRepository(Reaction).count()).toBe(0);
      expect((await db.getRepository(Bookmark).findOneOrFail({ where: {} })).thread).toBeFalsy();
      expect({
        reply: await cache.get('reply'),
        replies: await cache.get('replies'),
        reaction: await cache.get('reaction'),
        bookmark: await cache.get('bookmark'),
        topic: await cache.get('topic'),
      }).toEqual({
        reply: undefined,
        replies: undefined,
        reaction: undefined,
        bookmark: undefined,
        topic: undefined,
      });
    });
  });
});
