import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { BlogStore, type AuthorSummary, type PostView } from './blog.store.js';
import type { PostInput } from './post.input.js';

export type { AuthorSummary } from './blog.store.js';

/** One page of the post list, newest first. */
export interface PostPage {
  page: number;
  pageSize: number;
  total: number;
  pages: number;
  posts: PostView[];
}

/**
 * The blog's rules over its store (TypeORM, MikroORM or Prisma: `DEMO_ORM`). Writes go through the
 * ORM, so its cache integration sees them and clears the cached pages built from them.
 */
@Injectable()
export class BlogService {
  static readonly PAGE_SIZE = 10;

  constructor(private readonly store: BlogStore) {}

  /** Page `page` (1-based) of the posts, newest first. @throws NotFoundException past the end. */
  async listPosts(page: number, pageSize = BlogService.PAGE_SIZE): Promise<PostPage> {
    const { posts, total } = await this.store.pageOfPosts((page - 1) * pageSize, pageSize);
    const pages = Math.max(1, Math.ceil(total / pageSize));
    if (page > pages) throw new NotFoundException(`Page ${page} does not exist (${pages} pages)`);
    return { page, pageSize, total, pages, posts };
  }

  /** The latest posts, newest first. */
  latestPosts(count: number): Promise<PostView[]> {
    return this.store.latestPosts(count);
  }

  /** @throws NotFoundException */
  async getPost(id: number): Promise<PostView> {
    const post = await this.store.findPost(id);
    if (!post) throw new NotFoundException(`Post ${id} not found`);
    return post;
  }

  /** Every author with their number of posts, by name. */
  authorSummaries(): Promise<AuthorSummary[]> {
    return this.store.authorSummaries();
  }

  /** @throws BadRequestException for an unknown author */
  async createPost(input: PostInput): Promise<PostView> {
    await this.checkAuthor(input.authorId);
    return this.getPost(await this.store.createPost(input));
  }

  /** @throws NotFoundException, BadRequestException for an unknown author */
  async updatePost(id: number, input: Partial<PostInput>): Promise<PostView> {
    await this.getPost(id);
    if (input.authorId !== undefined) await this.checkAuthor(input.authorId);
    await this.store.updatePost(id, input);
    return this.getPost(id);
  }

  /** @throws NotFoundException */
  async deletePost(id: number): Promise<void> {
    await this.getPost(id);
    await this.store.deletePost(id);
  }

  private async checkAuthor(id: number): Promise<void> {
    if (!(await this.store.authorExists(id))) {
      throw new BadRequestException([`authorId ${id} does not exist`]);
    }
  }
}
