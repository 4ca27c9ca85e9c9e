import type { PrismaClient } from '../generated/prisma-sqlite/client.js';
import { BlogStore, type AuthorSummary, type PostView, type SeedPost } from '../blog/blog.store.js';
import type { PostInput } from '../blog/post.input.js';

/**
 * The client the store uses: the SQLite one's type (the PostgreSQL one has the same models),
 * extended by `prismaCacheInvalidation`.
 */
export type DemoPrismaClient = Pick<PrismaClient, 'author' | 'post' | '$transaction'> & {
  $executeRawUnsafe(sql: string): Promise<number>;
};

/** The demo creates its tables itself: it has no migrations, and `prisma migrate` is not run. */
const TABLES = {
  sqlite: [
    'CREATE TABLE IF NOT EXISTS "Author" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "name" TEXT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "Post" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "title" TEXT NOT NULL, "body" TEXT NOT NULL, "authorId" INTEGER NOT NULL REFERENCES "Author" ("id") ON DELETE CASCADE, "updatedAt" DATETIME NOT NULL)',
  ],
  postgresql: [
    'CREATE TABLE IF NOT EXISTS "Author" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "body" TEXT NOT NULL, "authorId" INTEGER NOT NULL REFERENCES "Author" ("id") ON DELETE CASCADE, "updatedAt" TIMESTAMP(3) NOT NULL)',
  ],
};

const WITH_AUTHOR = { author: { select: { id: true, name: true } } } as const;

/** The blog on Prisma: every write goes through the client `prismaCacheInvalidation` extends. */
export class PrismaBlogStore extends BlogStore {
  constructor(
    private readonly prisma: DemoPrismaClient,
    private readonly dialect: keyof typeof TABLES,
  ) {
    super();
  }

  async pageOfPosts(skip: number, take: number) {
    const [posts, total] = await Promise.all([
      this.prisma.post.findMany({ orderBy: { id: 'desc' }, skip, take, include: WITH_AUTHOR }),
      this.prisma.post.count(),
    ]);
    return { posts: posts.map(view), total };
  }

  async latestPosts(count: number): Promise<PostView[]> {
    const posts = await this.prisma.post.findMany({
      orderBy: { id: 'desc' },
      take: count,
      include: WITH_AUTHOR,
    });
    return posts.map(view);
  }

  async findPost(id: number): Promise<PostView | null> {
    const post = await this.prisma.post.findUnique({ where: { id }, include: WITH_AUTHOR });
    return post && view(post);
  }

  async authorSummaries(): Promise<AuthorSummary[]> {
    const authors = await this.prisma.author.findMany({
      orderBy: { name: 'asc' },
      include: { _count: { select: { posts: true } } },
    });
    return authors.map(({ id, name, _count }) => ({ id, name, postCount: _count.posts }));
  }

  async authorExists(id: number): Promise<boolean> {
    return (await this.prisma.author.count({ where: { id } })) > 0;
  }

  async createPost(input: PostInput): Promise<number> {
    return (await this.prisma.post.create({ data: input })).id;
  }

  async updatePost(id: number, changes: Partial<PostInput>): Promise<void> {
    await this.prisma.post.update({ where: { id }, data: changes });
  }

  async deletePost(id: number): Promise<void> {
    await this.prisma.post.delete({ where: { id } });
  }

  countPosts(): Promise<number> {
    return this.prisma.post.count();
  }

  async prepare(): Promise<void> {
    for (const statement of TABLES[this.dialect]) await this.prisma.$executeRawUnsafe(statement);
  }

  async seed(authors: string[], posts: SeedPost[]): Promise<void> {
    await this.prisma.$transaction(async tx => {
      const ids: number[] = [];
      for (const name of authors) ids.push((await tx.author.create({ data: { name } })).id);
      for (const { title, body, author } of posts) {
        await tx.post.create({ data: { title, body, authorId: ids[author] } });
      }
    });
  }
}

function view(post: {
  id: number;
  title: string;
  body: string;
  author: { id: number; name: string };
  updatedAt: Date;
}): PostView {
  const { id, title, body, author, updatedAt } = post;
  return { id, title, body, author: { id: author.id, name: author.name }, updatedAt };
}
