import { Controller, Get, Render } from '@nestjs/common';
import { CacheKeyFrom, CachePage } from 'nestjs-page-cache';
import { BlogService, type AuthorSummary } from './blog.service.js';
import type { PostView } from './blog.store.js';

/** What `views/index.ejs` renders. */
export interface HomeView {
  title: string;
  latest: PostView[];
  authors: AuthorSummary[];
  totalPosts: number;
  generatedAt: string;
}

/** The HTML front page, rendered by a template and cached as bytes. */
@Controller()
export class HomeController {
  static readonly LATEST = 5;

  constructor(private readonly blog: BlogService) {}

  @Get()
  @Render('index')
  @CachePage()
  @CacheKeyFrom('Post', 'Author')
  async index(): Promise<HomeView> {
    const [latest, authors] = await Promise.all([
      this.blog.latestPosts(HomeController.LATEST),
      this.blog.authorSummaries(),
    ]);
    return {
      title: 'Demo blog',
      latest,
      authors,
      totalPosts: authors.reduce((sum, author) => sum + author.postCount, 0),
      // Shows when the cached copy was built.
      generatedAt: new Date().toISOString(),
    };
  }
}
