import type { CacheService } from 'nestjs-page-cache';
import { Column, type DataSource, DeleteDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { typeOrmSqliteApp, type TypeOrmSqliteApp } from '../fixtures/orm/typeorm-sqlite-app.js';

@Entity()
class Book {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  title!: string;
}

@Entity()
class Shelf {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column()
  label!: string;

  @DeleteDateColumn()
  deletedAt?: Date | null;
}

/** better-sqlite3's registration of a JavaScript function callable from SQL. */
interface SqliteFunctions {
  function(name: string, fn: () => number): unknown;
}

describe('TypeORM subscriber', () => {
  let app: TypeOrmSqliteApp;
  let db: DataSource;
  let cache: CacheService;
  let book: Book;

  beforeEach(async () => {
    app = await typeOrmSqliteApp([Book, Shelf], 'orm');
    ({ db, cache } = app);
    book = await db.getRepository(Book).save({ title: 'Dune' });
    await cache.set('book', book.title, { models: [{ model: Book, id: book.id }] });
    await cache.set('books', ['Dune'], { models: [Book] });
    await cache.set('other', 'kept', { models: [{ model: Book, id: book.id + 100 }] });
  });
  afterEach(() => app.close());

  it('clears what was built from a saved entity once save() resolves', async () => {
    await db.getRepository(Book).save({ ...book, title: 'Dune Messiah' });
    expect(await cache.get('book')).toBeUndefined();
    expect(await cache.get('books')).toBeUndefined();
    expect(await cache.get('other')).toBe('kept');
  });

  it('clears on insert and on remove', async () => {
    await db.getRepository(Book).save({ title: 'Emma' });
    expect(await cache.get('books')).toBeUndefined();
    expect(await cache.get('book')).toBe('Dune');
    await db
      .getRepository(Book)
      .remove(await db.getRepository(Book).findOneByOrFail({ id: book.id }));
    expect(await cache.get('book')).toBeUndefined();
  });

  it('waits for the commit inside a transaction; on one connection a rollback clears what it undid', async () => {
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.manager.save(Book, { ...book, title: 'uncommitted' });
    // Clearing now would let a concurrent request re-cache the pre-commit row.
    expect(await cache.get('book')).toBe('Dune');
    // SQLite's one connection: a concurrent request may have cached what it read meanwhile.
    await cache.set('read meanwhile', 'uncommitted', { models: [{ model: Book, id: book.id }] });
    await runner.rollbackTransaction();
    expect(await cache.get('read meanwhile')).toBeUndefined();
    expect(await cache.get('other')).toBe('kept');

    await cache.set('book', book.title, { models: [{ model: Book, id: book.id }] });
    await runner.startTransaction();
    await runner.manager.save(Book, { ...book, title: 'committed' });
    expect(await cache.get('book')).toBe('Dune');
    await runner.commitTransaction();
    expect(await cache.get('book')).toBeUndefined();
    await runner.release();
  });

  it('an inner rollback drops only its own invalidations; the outer commit clears the rest', async () => {
    const other = await db.getRepository(Book).save({ title: 'Emma' });
    await cache.set('emma', 'Emma', { models: [{ model: Book, id: other.id }] });
    await db.transaction(async outer => {
      await outer.save(Book, { ...book, title: 'Dune, outer' });
      await outer
        .transaction(async inner => {
          await inner.save(Book, { ...other, title: 'Emma, inner' });
          throw new Error('roll the savepoint back');
        })
        .catch(() => undefined);
      // Nothing is cleared before the outermost commit.
      expect(await cache.get('book')).toBe('Dune');
    });
    expect(await cache.get('book')).toBeUndefined();
    // Emma's change was rolled back, but on SQLite's one connection a request could have read it:
    // what was built from her is cleared too (on PostgreSQL it is kept: see the contract suite).
    expect(await cache.get('emma')).toBeUndefined();
    expect(await cache.get('other')).toBe('kept');
  });

  it('a rolled-back savepoint clears its rows again when the transaction around it rolls back', async () => {
    await expect(
      db.transaction(async outer => {
        await outer
          .transaction(async inner => {
            await inner.save(Book, { ...book, title: 'Dune, inner' });
            throw new Error('roll the savepoint back');
          })
          .catch(() => undefined);
        // Its record was written in this transaction, which rolls back with it: what was read
        // since is cleared again.
        await cache.set('read since', 'Dune', { models: [{ model: Book, id: book.id }] });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await cache.get('read since')).toBeUndefined();
    expect(await cache.get('other')).toBe('kept');
  });

  it('a rollback whose record cannot be written still clears what it undid', async () => {
    // A failure no transaction undoes: a JavaScript flag the outbox's trigger reads.
    let broken = false;
    const sqlite = (db.driver as unknown as { databaseConnection: SqliteFunctions })
      .databaseConnection;
    sqlite.function('records_broken', () => (broken ? 1 : 0));
    await db.query(
      `CREATE TRIGGER refuse_records BEFORE INSERT ON page_cache_outbox WHEN records_broken()
       BEGIN SELECT RAISE(ABORT, 'records refused'); END`,
    );
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.manager.save(Book, { ...book, title: 'uncommitted' });
    await cache.set('read meanwhile', 'uncommitted', { models: [{ model: Book, id: book.id }] });
    broken = true;
    await runner.rollbackTransaction();
    broken = false;
    await runner.release();
    await vi.waitFor(async () => expect(await cache.get('read meanwhile')).toBeUndefined());
    expect(await cache.get('other')).toBe('kept');
  });

  it('an inner commit waits for the outer one', async () => {
    await db.transaction(async outer => {
      await outer.transaction(async inner => {
        await inner.save(Book, { ...book, title: 'Dune, inner' });
      });
      // The savepoint was released, not committed: a reader could still re-cache the old row.
      expect(await cache.get('book')).toBe('Dune');
    });
    expect(await cache.get('book')).toBeUndefined();
  });

  it('clears what was built from a soft-deleted row when it is restored or recovered', async () => {
    const shelves = db.getRepository(Shelf);
    const shelf = await shelves.save({ label: 'A' });
    await shelves.softRemove(shelf);
    await cache.set('shelves', [], { models: [Shelf] });
    await shelves.restore(shelf.id);
    expect(await cache.get('shelves')).toBeUndefined();

    await shelves.softDelete(shelf.id);
    await cache.set('shelves', [], { models: [Shelf] });
    await shelves.recover(
      await shelves.findOneOrFail({ where: { id: shelf.id }, withDeleted: true }),
    );
    expect(await cache.get('shelves')).toBeUndefined();
  });
});
