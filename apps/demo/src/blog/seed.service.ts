import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BlogStore } from './blog.store.js';

const AUTHORS = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'];
const TOPICS = [
  'Caching pages the Django way',
  'Why invalidation beats short TTLs',
  'Varying on Accept-Language',
  'Entity events and generation tokens',
  'Redis keys you can reason about',
  'Templates, bytes and ETags',
  'Pagination without surprises',
];
const SENTENCES = [
  'A page is computed once and then served from the cache, byte for byte.',
  'Saving a row clears every page that was built from it, and nothing else.',
  'The slowest query is the one you run on every request.',
  'Each variant of a page, such as each language, has an entry of its own.',
  'A cache that can serve stale data is a bug that waits for a busy day.',
  'Redis keeps the entries, so every process of the app shares them.',
];
export const SEED_POSTS = 50;

/** The deterministic title of seeded post number `n` (1-based, which is also its id). */
export function seedTitle(n: number): string {
  return `#${n} ${TOPICS[(n - 1) % TOPICS.length]}`;
}

/** Fills an empty database with authors and posts, the same ones on every start. */
@Injectable()
export class SeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SeedService.name);

  constructor(private readonly store: BlogStore) {}

  // After the global modules' hooks: the event listeners of the cache are registered by then, so
  // the integration's events for the seeded rows clear pages a shared Redis kept from an older run.
  async onApplicationBootstrap(): Promise<void> {
    await this.store.prepare();
    if ((await this.store.countPosts()) > 0) return;
    const posts = Array.from({ length: SEED_POSTS }, (_, i) => {
      const n = i + 1;
      const body = Array.from(
        { length: 3 + (n % 3) },
        (_, j) => SENTENCES[(n + j) % SENTENCES.length],
      ).join(' ');
      return { title: seedTitle(n), body, author: i % 3 };
    });
    await this.store.seed(AUTHORS, posts);
    this.logger.log(`Seeded ${AUTHORS.length} authors and ${SEED_POSTS} posts`);
  }
}
