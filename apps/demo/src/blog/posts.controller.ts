import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  ParseIntPipe,
  Post as HttpPost,
  Put,
  Query,
} from '@nestjs/common';
import { CacheKeyFrom, CachePage, VaryOn } from 'nestjs-page-cache';
import { BlogService, type PostPage } from './blog.service.js';
import { greeting, negotiateLanguage, type Language } from './greeting.js';
import { parsePostInput } from './post.input.js';
import type { PostView } from './blog.store.js';

/** The list page: a greeting in the reader's language, then one page of posts. */
export interface PostListPage extends PostPage {
  language: Language;
  greeting: string;
}

/**
 * The JSON API of the blog. The GET pages are cached; the mutations save through the ORM, and its
 * cache integration clears the pages built from what they changed.
 */
@Controller('posts')
export class PostsController {
  constructor(private readonly blog: BlogService) {}

  /**
   * `GET /posts?page=2`. One cache entry per page number and `Accept-Language` value; other query
   * parameters (`?utm_source=…`) share the entry. Saving any post or author clears every page.
   */
  @Get()
  @CachePage({ query: ['page'] })
  @VaryOn('accept-language')
  @CacheKeyFrom('Post', 'Author')
  async list(
    @Query('page') page: string | undefined,
    @Headers('accept-language') acceptLanguage: string | undefined,
  ): Promise<PostListPage> {
    const language = negotiateLanguage(acceptLanguage);
    const posts = await this.blog.listPosts(parsePage(page));
    return { language, greeting: greeting(language), ...posts };
  }

  /** `GET /posts/42`: cleared when post 42 or any author is saved; 404s are not cached. */
  @Get(':id')
  @CachePage()
  @CacheKeyFrom({ model: 'Post', id: 'id', parse: Number }, 'Author')
  show(@Param('id', ParseIntPipe) id: number): Promise<PostView> {
    return this.blog.getPost(id);
  }

  /** `POST /posts` with `{ title, body, authorId }`. */
  @HttpPost()
  create(@Body() body: unknown): Promise<PostView> {
    return this.blog.createPost(parsePostInput(body, false));
  }

  /** `PUT /posts/42` with any of `{ title, body, authorId }`. */
  @Put(':id')
  update(@Param('id', ParseIntPipe) id: number, @Body() body: unknown): Promise<PostView> {
    return this.blog.updatePost(id, parsePostInput(body, true));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  remove(@Param('id', ParseIntPipe) id: number): Promise<void> {
    return this.blog.deletePost(id);
  }
}

function parsePage(page: string | undefined): number {
  if (page === undefined || page === '') return 1;
  if (!/^[1-9][0-9]{0,5}$/.test(page)) {
    throw new BadRequestException(`Invalid page ${JSON.stringify(page)}: expected 1, 2, 3…`);
  }
  return Number(page);
}
