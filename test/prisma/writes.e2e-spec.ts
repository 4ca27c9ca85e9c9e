import { EventEmitter2 } from '@nestjs/event-emitter';
import { PrismaPg } from '@prisma/adapter-pg';
import { ENTITY_SAVED } from 'nestjs-page-cache';
import type { EntityDescriptor } from '../../libs/page-cache/src/invalidation/entity-events.js';
import { prismaCacheInvalidation } from 'nestjs-page-cache/prisma';
import pg from 'pg';
import { PrismaClient } from '../../.generated/prisma/test-postgresql/client.js';
import {
  createDatabase,
  postgresUnavailable,
  type TestDatabase,
} from '../fixtures/orm/databases.js';

const postgresDown = await postgresUnavailable();

/**
 * Prisma writes the contract suite does not make. Batch transactions (`$transaction([…])`) have no
 * callback to wait for: the extension relies on their queries resolving only after the batch
 * committed. Each event's listener reads the row on another connection, which sees only committed
 * data.
 */
describe.skipIf(postgresDown !== undefined)(
  `Prisma writes on postgresql${postgresDown ? ` (skipped: ${postgresDown})` : ''}`,
  () => {
    let database: TestDatabase;
    let observer: pg.Client;
    let seen: string[];
    let prisma: ReturnType<typeof connect>;

    function connect(events: EventEmitter2) {
      const client = new PrismaClient({
        adapter: new PrismaPg({ connectionString: database.url }),
      });
      return client.$extends(prismaCacheInvalidation(events));
    }

    beforeEach(async () => {
      database = await createDatabase('postgresql');
      observer = new pg.Client({ connectionString: database.url });
      await observer.connect();
      const events = new EventEmitter2();
      seen = [];
      events.on(ENTITY_SAVED, async ({ id }: EntityDescriptor) => {
        const { rows } = await observer.query('SELECT title FROM "Book" WHERE id = $1', [id]);
        seen.push(`${id}:${(rows[0] as { title: string } | undefined)?.title}`);
      });
      prisma = connect(events);
      await prisma.$executeRawUnsafe(
        'CREATE TABLE "Book" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL)',
      );
      await prisma.$executeRawUnsafe(`INSERT INTO "Book" ("title") VALUES ('a'), ('b')`);
    });
    afterEach(async () => {
      await prisma.$disconnect();
      await observer.end();
      await database.drop();
    });

    it('emits after the batch committed, for each row', async () => {
      await prisma.$transaction([
        prisma.book.update({ where: { id: 1 }, data: { title: 'a2' } }),
        prisma.book.update({ where: { id: 2 }, data: { title: 'b2' } }),
      ]);
      expect(seen).toEqual(['1:a2', '2:b2']);
    });

    it('a write whose select leaves the key out names the model; a changed key names both', async () => {
      await prisma.book.update({
        where: { id: 1 },
        data: { title: 'a3' },
        select: { title: true },
      });
      // No id: the event names the model as a whole.
      expect(seen).toEqual(['undefined:undefined']);
      seen.length = 0;
      await prisma.book.update({ where: { id: 2 }, data: { id: 20 } });
      // The listener reads each id's row: the new one holds the book, the old one is gone.
      expect(seen).toEqual(['20:b', '2:undefined']);
    });

    it('emits nothing when the batch fails and rolls back', async () => {
      await expect(
        prisma.$transaction([
          prisma.book.update({ where: { id: 1 }, data: { title: 'a2' } }),
          prisma.book.update({ where: { id: 99 }, data: { title: 'none' } }),
        ]),
      ).rejects.toThrow();
      expect(seen).toEqual([]);
      const { rows } = await observer.query('SELECT title FROM "Book" WHERE id = 1');
      expect(rows).toEqual([{ title: 'a' }]);
    });
  },
);
