import { EventEmitter2 } from '@nestjs/event-emitter';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { ENTITY_DELETED, ENTITY_SAVED } from 'nestjs-page-cache';
import type { EntityDescriptor } from '../../libs/page-cache/src/invalidation/entity-events.js';
import { prismaCacheInvalidation } from 'nestjs-page-cache/prisma';
import { PrismaClient } from '../../.generated/prisma/test-nested-writes/client.js';
import { createDatabase, type TestDatabase } from '../fixtures/orm/databases.js';

const TABLES = [
  'CREATE TABLE "Author" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL)',
  'CREATE TABLE "Post" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "authorId" INTEGER NOT NULL REFERENCES "Author"("id"))',
  'CREATE TABLE "Tag" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL UNIQUE)',
  'CREATE TABLE "_PostToTag" ("A" INTEGER NOT NULL REFERENCES "Post"("id") ON DELETE CASCADE, "B" INTEGER NOT NULL REFERENCES "Tag"("id") ON DELETE CASCADE)',
  'CREATE UNIQUE INDEX "_PostToTag_AB_unique" ON "_PostToTag"("A", "B")',
];

/**
 * Nested writes: one Prisma query that also writes rows of related models (`data: { posts: {
 * update: … } }`), or links and unlinks them. Each related model it touches is named as a whole,
 * after the query (or the outermost transaction) committed. Events are read off a real event
 * emitter, after real SQLite writes.
 */
describe('Prisma extension: nested writes', () => {
  let database: TestDatabase;
  let seen: string[];
  let prisma: ReturnType<typeof connect>;

  function connect(events: EventEmitter2) {
    const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: database.url }) });
    return client.$extends(prismaCacheInvalidation(events));
  }

  beforeEach(async () => {
    database = await createDatabase('sqlite');
    const events = new EventEmitter2();
    seen = [];
    for (const name of [ENTITY_SAVED, ENTITY_DELETED]) {
      events.on(name, ({ model, id }: EntityDescriptor) => {
        seen.push(`${name} ${String(model)}${id === undefined ? '' : ` ${id}`}`);
      });
    }
    prisma = connect(events);
    for (const sql of TABLES) await prisma.$executeRawUnsafe(sql);
    await prisma.author.create({
      data: { name: 'Ada', posts: { create: { title: 'old', tags: { create: { name: 'a' } } } } },
    });
    seen.length = 0;
  });
  afterEach(async () => {
    await prisma.$disconnect();
    await database.drop();
  });

  it('an update of a related row through its parent names the related model', async () => {
    await prisma.author.update({
      where: { id: 1 },
      data: { posts: { update: { where: { id: 1 }, data: { title: 'new' } } } },
    });
    expect((await prisma.post.findUniqueOrThrow({ where: { id: 1 } })).title).toBe('new');
    expect(seen).toEqual(['entity.saved Author 1', 'entity.saved Post']);
  });

  it('a related row created with its child names the related model', async () => {
    await prisma.post.create({ data: { title: 't', author: { create: { name: 'Grace' } } } });
    expect(seen).toEqual(['entity.saved Post 2', 'entity.saved Author']);
  });

  it('links and unlinks name the model on the other side (its rows changed too)', async () => {
    await prisma.post.update({
      where: { id: 1 },
      data: { tags: { connectOrCreate: { where: { name: 'b' }, create: { name: 'b' } } } },
    });
    await prisma.post.update({ where: { id: 1 }, data: { tags: { disconnect: { name: 'a' } } } });
    await prisma.post.update({ where: { id: 1 }, data: { tags: { set: [] } } });
    await prisma.author.create({ data: { name: 'Grace', posts: { connect: { id: 1 } } } });
    expect(seen).toEqual([
      'entity.saved Post 1',
      'entity.saved Tag',
      'entity.saved Post 1',
      'entity.saved Tag',
      'entity.saved Post 1',
      'entity.saved Tag',
      'entity.saved Author 2',
      'entity.saved Post',
    ]);
  });

  it('writes nested in nested writes and in both branches of an upsert are named', async () => {
    await prisma.author.upsert({
      where: { id: 1 },
      create: { name: 'unused' },
      update: {
        posts: {
          upsert: {
            where: { id: 1 },
            create: { title: 'unused' },
            update: { tags: { create: { name: 'deep' } } },
          },
        },
      },
    });
    expect(seen).toEqual(['entity.saved Author 1', 'entity.saved Post', 'entity.saved Tag']);
  });

  it('a nested delete names the related model as deleted', async () => {
    await prisma.post.update({ where: { id: 1 }, data: { tags: { deleteMany: {} } } });
    // The deleted tags' links to any post went with them: Post changed as a whole.
    expect(seen).toEqual(['entity.saved Post 1', 'entity.deleted Tag', 'entity.saved Post']);
    expect(await prisma.tag.count()).toBe(0);
  });

  it.each([
    ['delete', () => prisma.post.delete({ where: { id: 1 } })],
    ['deleteMany', () => prisma.post.deleteMany({ where: { id: 1 } })],
    [
      'a nested delete',
      () => prisma.author.update({ where: { id: 1 }, data: { posts: { delete: { id: 1 } } } }),
    ],
  ])('%s of a post names the tags it was linked to (the links went with it)', async (_, remove) => {
    await remove();
    const tag = await prisma.tag.findUniqueOrThrow({ where: { id: 1 }, include: { posts: true } });
    expect(tag.posts).toEqual([]);
    expect(seen).toContain('entity.saved Tag');
  });

  it('a nested write in an interactive transaction waits for the commit; a rollback names nothing', async () => {
    await expect(
      prisma.$transaction(async tx => {
        await tx.author.update({
          where: { id: 1 },
          data: { posts: { create: { title: 'rolled back' } } },
        });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(seen).toEqual([]);

    await prisma.$transaction(async tx => {
      await tx.author.update({ where: { id: 1 }, data: { posts: { create: { title: 'kept' } } } });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['entity.saved Author 1', 'entity.saved Post']);
  });
});
