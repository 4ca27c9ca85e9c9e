import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TypeOrmOutbox } from './typeorm-outbox.js';

describe('TypeOrmOutbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function dataSource(file: string, readonly = false): Promise<DataSource> {
    const source = new DataSource({ type: 'better-sqlite3', database: file, readonly });
    return source.initialize();
  }

  it('creates its table, records, lists oldest first and removes', async () => {
    const source = await dataSource(join(dir, 'rw.sqlite'));
    try {
      const outbox = new TypeOrmOutbox(source);
      await outbox.ensureTable();
      await outbox.ensureTable();
      await outbox.record([{ id: 'a', model: 'Post', entityId: '7' }]);
      await outbox.record([{ id: 'b', model: 'Post', entityId: null }]);
      expect(await outbox.pending(10)).toEqual([
        { id: 'a', model: 'Post', entityId: '7' },
        { id: 'b', model: 'Post', entityId: null },
      ]);
      await outbox.remove(['a']);
      expect((await outbox.pending(10)).map(entry => entry.id)).toEqual(['b']);
    } finally {
      await source.destroy();
    }
  });

  it('says which table it could not create, and how to do without it', async () => {
    const file = join(dir, 'ro.sqlite');
    new Database(file).close();
    const source = await dataSource(file, true);
    try {
      await expect(new TypeOrmOutbox(source).ensureTable()).rejects.toThrow(
        /could not create its invalidation outbox table "page_cache_outbox": .*outbox: false/,
      );
    } finally {
      await source.destroy();
    }
  });

  it('refuses a table name that is not a plain identifier', () => {
    expect(() => new TypeOrmOutbox({} as DataSource, 'x; drop table y')).toThrow(
      /outbox table name/,
    );
  });
});
