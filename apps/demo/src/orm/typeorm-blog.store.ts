import type { DataSource, EntityManager } from 'typeorm';
import { Author } from '../blog/author.entity.js';
import { BlogStore, type AuthorSummary, type PostView, type SeedPost } from '../blog/blog.store.js';
import { Post } from '../blog/post.entity.js';
import type { PostInput } from '../blog/post.input.js';

/** The blog on TypeORM: `TypeOrmCacheInvalidation` sees every save of the repositories. */
export class TypeOrmBlogStore extends BlogStore {
  private readonly manager: EntityManager;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.manager = dataSource.manager;
  }

  async pageOfPosts(skip: number, take: number) {
    const [posts, total] = await this.manager.findAndCount(Post, {
      order: { id: 'DESC' },
      skip,
      take,
    });
    return { posts: posts.map(view), total };
  }

  async latestPosts(count: number): Promise<PostView[]> {
    return (await this.manager.find(Post, { order: { id: 'DESC' }, take: count })).map(view);
  }

  async findPost(id: number): Promise<PostView | null> {
    const post = await this.manager.findOneBy(Post, { id });
    return post && view(post);
  }

  async authorSummaries(): Promise<AuthorSummary[]> {
    const rows = await this.manager
      .createQueryBuilder(Author, 'author')
      .leftJoin(Post, 'post', 'post.author = author.id')
      .select('author.id', 'id')
      .addSelect('author.name', 'name')
      .addSelect('COUNT(post.id)', 'postCount')
      .groupBy('author.id')
      .addGroupBy('author.name')
      .orderBy('author.name', 'ASC')
      .getRawMany<{ id: number; name: string; postCount: number | string }>();
    return rows.map(row => ({ id: row.id, name: row.name, postCount: Number(row.postCount) }));
  }

  async authorExists(id: number): Promise<boolean> {
    return (await this.manager.countBy(Author, { id })) > 0;
  }

  async createPost(input: PostInput): Promise<number> {
    const author = await this.manager.findOneByOrFail(Author, { id: input.authorId });
    const post = this.manager.create(Post, { title: input.title, body: input.body, author });
    return (await this.manager.save(post)).id;
  }

  async updatePost(id: number, changes: Partial<PostInput>): Promise<void> {
    const post = await this.manager.findOneByOrFail(Post, { id });
    if (changes.title !== undefined) post.title = changes.title;
    if (changes.body !== undefined) post.body = changes.body;
    if (changes.authorId !== undefined) {
      post.author = await this.manager.findOneByOrFail(Author, { id: changes.authorId });
    }
    await this.manager.save(post);
  }

  async deletePost(id: number): Promise<void> {
    await this.manager.remove(await this.manager.findOneByOrFail(Post, { id }));
  }

  countPosts(): Promise<number> {
    return this.manager.count(Post);
  }

  async prepare(): Promise<void> {
    // `synchronize: true` made the tables.
  }

  async seed(authors: string[], posts: SeedPost[]): Promise<void> {
    await this.dataSource.transaction(async manager => {
      const saved = await manager.save(
        Author,
        authors.map(name => manager.create(Author, { name })),
      );
      for (const post of posts) {
        await manager.save(Post, manager.create(Post, { ...post, author: saved[post.author] }));
      }
    });
  }
}

function view(post: Post): PostView {
  const { id, title, body, author, updatedAt } = post;
  return { id, title, body, author: { id: author.id, name: author.name }, updatedAt };
}
