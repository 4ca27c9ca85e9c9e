// What the README's examples use without declaring it: pieces of the reader's own application.
// Only test/readme/check-readme.mjs reads this file (tsconfig.json excludes it), so these globals
// never leak into the project's own code.
import type { EventEmitter2 } from '@nestjs/event-emitter';
import * as pageCache from 'nestjs-page-cache';
import type { prismaCacheInvalidation } from 'nestjs-page-cache/prisma';

declare global {
  /** An entity of the reader's app. */
  class Post {
    id: number;
    title: string;
  }
  /** Another entity, which posts are built from. */
  class Author {
    id: number;
    name: string;
  }
  class UpdatePostDto {
    title?: string;
  }
  /** The reader's data access. */
  class PostsService {
    list(page: number): Promise<Post[]>;
    find(id: string | number): Promise<Post>;
    latest(): Promise<Post[]>;
    update(id: string | number, changes: UpdatePostDto): Promise<Post>;
  }
  /** A CacheStore of the reader's own. */
  const MyStore: new () => pageCache.CacheStore;
  /** An injected CacheService. */
  const cache: pageCache.CacheService;
  /** An injected EventEmitter2. */
  const events: EventEmitter2;
  /** An injected PostsService. */
  const postsService: PostsService;
  /** A post the reader's code has at hand. */
  const post: Post;
  /** The `redis` module option (a URL). */
  const redis: string;
  /** For one-line option examples, which show `CacheModule.forRoot(…)` without its import. */
  const CacheModule: typeof pageCache.CacheModule;
  function buildReport(): Promise<void>;
  /** The reader's Prisma client, as `prisma generate` writes it. */
  class PrismaClient {
    constructor(options: { adapter: unknown });
    $extends(extension: ReturnType<typeof prismaCacheInvalidation>): PrismaClient;
  }
}

export {};
