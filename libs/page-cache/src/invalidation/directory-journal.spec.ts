import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryInvalidationJournal } from './directory-journal.js';

describe('DirectoryInvalidationJournal', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(dir => rmSync(dir, { recursive: true, force: true })));
  const journal = () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    dirs.push(dir);
    return new DirectoryInvalidationJournal(join(dir, 'records'));
  };

  it('is empty before anything is recorded', async () => {
    expect(await journal().pending(10)).toEqual([]);
  });

  it('keeps records across instances (processes) until they are removed, oldest first', async () => {
    const writer = journal();
    await writer.record([{ id: 'a', model: 'Post', entityId: '7' }]);
    await writer.record([{ id: 'b', model: 'Author', entityId: null }]);
    const reader = new DirectoryInvalidationJournal(writer.directory);
    expect(await reader.pending(10)).toEqual([
      { id: 'a', model: 'Post', entityId: '7' },
      { id: 'b', model: 'Author', entityId: null },
    ]);
    expect(await reader.pending(1)).toHaveLength(1);
    await reader.remove(['a', 'missing']);
    expect(await writer.pending(10)).toEqual([{ id: 'b', model: 'Author', entityId: null }]);
    // Only whole records are visible: no temporary file is left behind.
    expect(readdirSync(writer.directory)).toEqual(['b.json']);
  });
});
