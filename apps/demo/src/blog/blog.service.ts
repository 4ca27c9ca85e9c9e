import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Author } from './author.entity.js';
import type { PostInput } from './post.input.js';
import { Post } from './post.entity.js';

/** One page of the post list, newest first. */
export interface PostPage {
  page: number;
  pageSize: number;
  total: number;
  pages: number;
  posts: Post[];
}

/** An author and how many posts they wrote. */
export interface AuthorSummary {
  id: number;
  name: string;
  postCount: number;
}

/**
 * Reads and writes the blog through TypeORM. Writes go through the repositories, so the
 * `TypeOrmCacheInvalidation` subscriber sees them and clears the cached pages built from them.
 */
@Injectable()
export class BlogService {
  static readonly PAGE_SIZE = 10;

  constructor(
    @InjectRepository(Post) private readonly posts: Repository<Post>,
    @InjectRepository(Author) private readonly authors: Repository<Author>,
  ) {}

  /** Page `page` (1-based) of the posts, newest first. @throws NotFoundException past the end. */
  async listPosts(page: number, pageSize = BlogService.PAGE_SIZE): Promise<PostPage> {
    const [posts, total] = await this.posts.findAndCount({
      order: { id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    const pages = Math.max(1, Math.ceil(total / pageSize));
    if (page > pages) throw new NotFoundException(`Page ${page} does not exist (${pages} pages)`);
    return { page, pageSize, total, pages, posts };
  }

  /** The latest posts, newest first. */
  latestPosts(count: number): Promise<Post[]> {
    return this.posts.find({ order: { id: 'DESC' }, take: count });
  }

  /** @throws NotFoundException */
  async getPost(id: number): Promise<Post> {
    const post = await this.posts.findOneBy({ id });
    if (!post) throw new NotFoundException(`Post ${id} not found`);
    return post;
  }

  /** Every author with their number of posts, by name. */
  async authorSummaries(): Promise<AuthorSummary[]> {
    const rows = await this.authors
      .createQueryBuilder('author')
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

  async createPost(input: PostInput): Promise<Post> {
    const author = await this.findAuthor(input.authorId);
    const saved = await this.posts.save(
      this.posts.create({ title: input.title, body: input.body, author }),
    );
    return this.getPost(saved.id);
  }

  /** @throws NotFoundException, BadRequestException for an unknown author */
  async updatePost(id: number, input: Partial<PostInput>): Promise<Post> {
    const post = await this.getPost(id);
    if (input.title !== undefined) post.title = input.title;
    if (input.body !== undefined) post.body = input.body;
    if (input.authorId !== undefined) post.author = await this.findAuthor(input.authorId);
    await this.posts.save(post);
    return this.getPost(id);
  }

  /** @throws NotFoundException */
  async deletePost(id: number): Promise<void> {
    const post = await this.getPost(id);
    await this.posts.remove(post);
  }

  private async findAuthor(id: number): Promise<Author> {
    const author = await this.authors.findOneBy({ id });
    if (!author) throw new BadRequestException([`authorId ${id} does not exist`]);
    return author;
  }
}
