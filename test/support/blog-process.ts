import Database from 'better-sqlite3';
import type { ChildApp } from './child-app.js';
import { rawGet } from './http-app.js';

/** Every process of a site sees one Host (behind a load balancer): pages are shared by it. */
const HOST = { host: 'blog.example' };

/** What a blog process (`test/fixtures/outbox/*.app.ts`) answers for a page. */
export interface BlogAnswer {
  status: number;
  cache: string | null;
  title?: string;
}

/** Reads a page of a blog process, as every process of the site is asked (one Host). */
export async function getPage(
  app: ChildApp,
  path: string,
  headers: Record<string, string> = {},
): Promise<BlogAnswer> {
  const answer = await rawGet(`${app.url}${path}`, { ...HOST, ...headers });
  const body = (answer.status === 200 ? JSON.parse(answer.body) : {}) as { title?: string };
  return { status: answer.status, cache: answer.cache ?? null, title: body.title };
}

/** Sends a write (`PUT /articles/1/v1` saves in a transaction, `PATCH` outside one). */
export async function write(app: ChildApp, path: string, method = 'PUT'): Promise<number> {
  // The status only, once the head arrives: not fetchPage, which reads the whole body. Reading it
  // made the partition tests seconds slower (against their 20 s limit) on a loaded machine.
  return (await fetch(`${app.url}${path}`, { method })).status;
}

/** How many records the outbox table of a SQLite file holds. */
export function sqliteOutboxRows(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM page_cache_outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
