import { parsePrimaryKeys } from './prisma-primary-keys.js';

describe('parsePrimaryKeys', () => {
  it('reads @id fields and @@id lists in key order', () => {
    const schema = `
      generator client { provider = "prisma-client" }
      model Book {
        id    Int    @id @default(autoincrement()) // the key
        title String @default("@id")
      }
      model Edition {
        lang   String
        bookId Int
        title  String
        @@id([bookId, lang(sort: Desc)])
      }
      model Pair {
        a Int
        b Int
        @@id(fields: [b, a], name: "pair")
      }
      model Note {
        body String @unique
      }
    `;
    expect(parsePrimaryKeys(schema)).toEqual({
      Book: ['id'],
      Edition: ['bookId', 'lang'],
      Pair: ['b', 'a'],
    });
  });
});
