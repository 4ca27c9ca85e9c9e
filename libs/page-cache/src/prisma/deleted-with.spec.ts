import { deletedWith, parseRelations } from './deleted-with.js';

const SCHEMA = `
model Thread {
  id        Int        @id
  replies   Reply[]
  bookmarks Bookmark[]
  pins      Pin[]
  topics    Topic[]
}

model Reply {
  id        Int        @id
  threadId  Int
  thread    Thread     @relation(fields: [threadId], references: [id], onDelete: Cascade)
  reactions Reaction[]
}

model Reaction {
  id      Int   @id
  replyId Int
  reply   Reply @relation(fields: [replyId], references: [id], onDelete: Cascade) // two levels down
}

model Bookmark {
  id       Int     @id
  threadId Int?
  thread   Thread? @relation(fields: [threadId], references: [id]) // SetNull: the default when optional
}

model Pin {
  id       Int    @id
  threadId Int
  thread   Thread @relation("pinned", fields: [threadId], references: [id]) // Restrict
}

model Topic {
  id      Int      @id
  threads Thread[]
}
`;

describe('deletedWith', () => {
  const relations = parseRelations(SCHEMA);

  it('names cascaded deletes at any depth, keys set to NULL, and implicit many-to-many ends', () => {
    expect(deletedWith('Thread', relations)).toEqual([
      { event: 'entity.saved', payload: { model: 'Topic' } },
      { event: 'entity.deleted', payload: { model: 'Reply' } },
      { event: 'entity.deleted', payload: { model: 'Reaction' } },
      { event: 'entity.saved', payload: { model: 'Bookmark' } },
    ]);
  });

  it('names nothing for a model no other row depends on', () => {
    expect(deletedWith('Reaction', relations)).toEqual([]);
  });

  it('names the other models of a self-relation that cascades', () => {
    const tree = parseRelations(`
      model Node {
        id       Int    @id
        parentId Int?
        parent   Node?  @relation("tree", fields: [parentId], references: [id], onDelete: Cascade)
        children Node[] @relation("tree")
      }
    `);
    expect(deletedWith('Node', tree)).toEqual([
      { event: 'entity.deleted', payload: { model: 'Node' } },
    ]);
  });
});
