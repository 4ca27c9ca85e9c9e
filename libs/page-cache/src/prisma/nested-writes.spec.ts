import { nestedWriteEvents, type PrismaDataModel } from './nested-writes.js';

const MODEL: PrismaDataModel = {
  models: {
    Author: {
      fields: [
        { name: 'name', kind: 'scalar', type: 'String' },
        { name: 'posts', kind: 'object', type: 'Post' },
      ],
    },
    Post: {
      fields: [
        { name: 'title', kind: 'scalar', type: 'String' },
        { name: 'author', kind: 'object', type: 'Author' },
        { name: 'tags', kind: 'object', type: 'Tag' },
      ],
    },
    Tag: { fields: [{ name: 'posts', kind: 'object', type: 'Post' }] },
  },
};

const named = (model: string, operation: string, args: unknown) =>
  nestedWriteEvents(model, operation, args, MODEL).map(
    ({ event, payload }) => `${event} ${String(payload.model)}`,
  );

describe('nestedWriteEvents', () => {
  it('names nothing for a write without relation fields, a bulk write, or an unknown data model', () => {
    expect(named('Author', 'update', { where: { id: 1 }, data: { name: 'x' } })).toEqual([]);
    expect(named('Author', 'updateMany', { data: { name: 'x' } })).toEqual([]);
    expect(
      nestedWriteEvents('Author', 'update', { data: { posts: { set: [] } } }, undefined),
    ).toEqual([]);
  });

  it('walks to-one updates given as data or as { where, data }, and arrays of operations', () => {
    expect(
      named('Post', 'update', {
        data: { author: { update: { posts: { deleteMany: {} } } } },
      }),
    ).toEqual(['entity.saved Author', 'entity.deleted Post']);
    expect(
      named('Author', 'create', {
        data: {
          posts: {
            create: [{ title: 'a' }, { title: 'b', tags: { connect: [{ id: 1 }] } }],
            update: [{ where: { id: 2 }, data: { author: { update: { where: {}, data: {} } } } }],
          },
        },
      }),
    ).toEqual(['entity.saved Post', 'entity.saved Tag', 'entity.saved Author']);
  });

  it('names a model saved when it is both deleted from and written', () => {
    expect(
      named('Author', 'update', { data: { posts: { delete: { id: 1 }, create: { title: 'c' } } } }),
    ).toEqual(['entity.saved Post']);
  });
});
