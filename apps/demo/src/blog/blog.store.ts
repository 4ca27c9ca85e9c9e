import type { PostInput } from './post.input.js';

/** A post as the API and the templates show it, whichever ORM read it. */
export interface PostView {
  id: number;
  title: string;
  body: string;
  author: { id: number; name: string };
  updatedAt: Date;
}

/** An author and how many posts they wrote. */
export interface AuthorSummary {
  id: number;
  name: string;
  postCount: number;
}

/** A post of the seed data: its author is an index into the seeded authors. */
export interface SeedPost {
  title: string;
  body: string;
  author: number;
}

/**
 * The blog's data access, implemented once per ORM (`DEMO_ORM`). Every write goes through the
 * ORM's own entity API, so that ORM's cache integration sees it and clears the pages built from it.
 */
export abstract class BlogStore {
  /** One page of posts, newest first, and how many posts there are. */
  abstract pageOfPosts(skip: number, take: number): Promise<{ posts: PostView[]; total: number }>;
  abstract latestPosts(count: number): Promise<PostView[]>;
  abstract findPost(id: number): Promise<PostView | null>;
  /** Every author with their number of posts, by name. */
  abstract authorSummaries(): Promise<AuthorSummary[]>;
  abstract authorExists(id: number): Promise<boolean>;
  /** @returns the new post's id */
  abstract createPost(input: PostInput): Promise<number>;
  abstract updatePost(id: number, changes: Partial<PostInput>): Promise<void>;
  abstract deletePost(id: number): Promise<void>;
  abstract countPosts(): Promise<number>;
  /** Creates the tables if needed (the demo has no migrations). */
  abstract prepare(): Promise<void>;
  /** Inserts the seed data in one transaction, posts one by one so ids follow their order. */
  abstract seed(authors: string[], posts: SeedPost[]): Promise<void>;
}
