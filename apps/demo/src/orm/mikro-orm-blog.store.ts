import { EntitySchema, type EntityManager, type MikroORM } from '@mikro-orm/core';
import { BlogStore, type AuthorSummary, type PostView, type SeedPost } from '../blog/blog.store.js';
import type { PostInput } from '../blog/post.input.js';

/** A person who writes posts (MikroORM's entity: its class name is the model name). */
export class Author {
  id!: number;
  name!: string;
}

/** A blog post (MikroORM's entity). */
export class Post {
  id!: number;
  title!: string;
  body!: string;
  author!: Author;
  updatedAt: Date = new Date();
}

export const MIKRO_ORM_ENTITIES = [
  new EntitySchema<Author>({
    class: Author,
    properties: {
      id: { type: 'number', primary: true, autoincrement: true },
      name: { type: 'string', length: 100 },
    },
  }),
  new EntitySchema<Post>({
    class: Post,
    properties: {
      id: { type: 'number', primary: true, autoincrement: true },
      title: { type: 'string', length: 200 },
      body: { type: 'text' },
      author: { kind: 'm:1', entity: () => Author, deleteRule: 'cascade' },
      updatedAt: { type: 'Date', onUpdate: () => new Date() },
    },
  }),
];

/**
 * The blog on MikroORM: each call works in a fork of the global `EntityManager`, and every change
 * is flushed, so `MikroOrmCacheInvalidation` sees it.
 */
export class MikroOrmBlogStore extends BlogStore {
  constructor(private readonly orm: MikroORM) {
    super();
  }

  private em(): EntityManager {
    return this.orm.em.fork();
  }

  async pageOfPosts(skip: number, take: number) {
    const [posts, total] = await this.em().findAndCount(
      Post,
      {},
      { orderBy: { id: 'desc' }, offset: skip, limit: take, populate: ['author'] },
    );
    return { posts: posts.map(view), total };
  }

  async latestPosts(count: number): Promise<PostView[]> {
    const posts = await this.em().find(
      Post,
      {},
      { orderBy: { id: 'desc' }, limit: count, populate: ['author'] },
    );
    return posts.map(view);
  }

  async findPost(id: number): Promise<PostView | null> {
    const post = await this.em().findOne(Post, { id }, { populate: ['author'] });
    return post && view(post);
  }

  async authorSummaries(): Promise<AuthorSummary[]> {
    const em = this.em();
    const authors = await em.find(Author, {}, { orderBy: { name: 'asc' } });
    return Promise.all(
      authors.map(async ({ id, name }) => ({
        id,
        name,
        postCount: await em.count(Post, { author: id }),
      })),
    );
  }

  async authorExists(id: number): Promise<boolean> {
    return (await this.em().count(Author, { id })) > 0;
  }

  async createPost(input: PostInput): Promise<number> {
    const em = this.em();
    const post = em.create(Post, {
      title: input.title,
      body: input.body,
      author: em.getReference(Author, input.authorId),
      updatedAt: new Date(),
    });
    await em.flush();
    return post.id;
  }

  async updatePost(id: number, changes: Partial<PostInput>): Promise<void> {
    const em = this.em();
    const post = await em.findOneOrFail(Post, { id });
    if (changes.title !== undefined) post.title = changes.title;
    if (changes.body !== undefined) post.body = changes.body;
    if (changes.authorId !== undefined) post.author = em.getReference(Author, changes.authorId);
    await em.flush();
  }

  async deletePost(id: number): Promise<void> {
    const em = this.em();
    em.remove(await em.findOneOrFail(Post, { id }));
    await em.flush();
  }

  countPosts(): Promise<number> {
    return this.em().count(Post);
  }

  async prepare(): Promise<void> {
    await this.orm.getSchemaGenerator().updateSchema();
  }

  async seed(authors: string[], posts: SeedPost[]): Promise<void> {
    await this.em().transactional(async em => {
      const saved = authors.map(name => em.create(Author, { name }));
      await em.flush();
      for (const post of posts) {
        em.create(Post, { ...post, author: saved[post.author], updatedAt: new Date() });
        // One by one, so ids follow the post numbers.
        await em.flush();
      }
    });
  }
}

function view(post: Post): PostView {
  const { id, title, body, author, updatedAt } = post;
  return { id, title, body, author: { id: author.id, name: author.name }, updatedAt };
}
