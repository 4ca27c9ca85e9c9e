/** One row of the benchmark page: a blog post summary as a list page would show it. */
export interface PageRow {
  id: number;
  slug: string;
  title: string;
  author: { id: number; name: string };
  excerpt: string;
  tags: string[];
  commentCount: number;
  publishedAt: string;
}

const WORDS = [
  'cache',
  'page',
  'redis',
  'invalidation',
  'model',
  'entity',
  'request',
  'response',
  'buffer',
  'latency',
  'throughput',
  'adapter',
  'express',
  'fastify',
  'handler',
  'serialize',
];
const AUTHORS = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Barbara Liskov',
  'Edsger Dijkstra',
];

/** Number of rows of the page. */
export const PAGE_ROWS = 50;

/** The 50 rows of the page (about 13.7 KB as JSON), the same on every call and in every process. */
export function pageRows(): PageRow[] {
  return Array.from({ length: PAGE_ROWS }, (_, i) => {
    const id = i + 1;
    const words = Array.from({ length: 6 }, (_, j) => WORDS[(id * 7 + j * 3) % WORDS.length]);
    const authorId = (id % AUTHORS.length) + 1;
    return {
      id,
      slug: `post-${id}-${words[0]}`,
      title: `Post ${id}: ${words.slice(0, 4).join(' ')}`,
      author: {
        id: authorId,
        name: AUTHORS[authorId - 1],
      },
      excerpt: `${words.join(' ')}.`,
      tags: [words[2], words[5]],
      commentCount: (id * 13) % 40,
      publishedAt: new Date(Date.UTC(2024, 0, 1) + id * 86_400_000).toISOString(),
    };
  });
}

/** The page as the handlers return it. */
export function pageBody(): { page: number; total: number; rows: PageRow[] } {
  return { page: 1, total: PAGE_ROWS, rows: pageRows() };
}

/** The page pre-serialized, as the limit route sends it. */
export const PAGE_BUFFER = Buffer.from(JSON.stringify(pageBody()));
