import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { InvalidationJournal, JournalEntry } from './invalidation-journal.js';

/**
 * An invalidation journal in a directory — on a persistent volume, shared by the processes of a
 * host or not: one small file per invalidation, written to a temporary name, flushed to disk and
 * renamed into place (so a crash leaves either the whole record or none), deleted once delivered.
 * No file is ever rewritten, so processes sharing the directory cannot lose each other's records.
 *
 * ```ts
 * CacheModule.forRoot({ redis, invalidationJournal: new DirectoryInvalidationJournal('/var/lib/app/invalidations') })
 * ```
 */
export class DirectoryInvalidationJournal implements InvalidationJournal {
  constructor(readonly directory: string) {}

  async record(entries: readonly JournalEntry[]): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    for (const entry of entries) {
      const path = join(this.directory, `${safe(entry.id)}.json`);
      const temporary = join(this.directory, `.${safe(entry.id)}.${randomUUID()}.tmp`);
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(JSON.stringify({ ...entry, at: Date.now() }));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
    }
  }

  async pendingModels(): Promise<string[]> {
    return [...new Set((await this.pending(Infinity)).map(entry => entry.model))];
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    let names: string[];
    try {
      names = (await readdir(this.directory)).filter(name => name.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: (JournalEntry & { at: number })[] = [];
    for (const name of names) {
      try {
        entries.push(JSON.parse(await readFile(join(this.directory, name), 'utf8')));
      } catch {
        // Delivered and deleted by another process meanwhile.
      }
    }
    return entries
      .sort((a, b) => a.at - b.at)
      .slice(0, limit)
      .map(({ id, model, entityId }) => ({ id, model, entityId }));
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await unlink(join(this.directory, `${safe(id)}.json`)).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        },
      );
    }
  }
}

function safe(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
