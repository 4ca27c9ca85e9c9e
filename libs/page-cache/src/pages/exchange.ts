import type { CallHandler } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { AdapterResponse } from './adapter-response.js';
import type { PageLocation } from './key/page-key.js';
import type { PageRequest } from './page-metadata.js';
import type { PagePolicy } from './policy/page-policy.js';
import type { RouteJudgement } from './policy/route-judgement.js';
import type { StoredPage } from './stored-page.js';

/** One request on its way through the page cache, keyed: what the fetcher and the filler share. */
export interface Exchange {
  request: PageRequest;
  response: AdapterResponse;
  raw: ServerResponse;
  policy: PagePolicy;
  location: PageLocation;
  /** `performance.now()` when the request reached the cache, only while hits are timed. */
  startedAt?: number;
}

/** An exchange on Nest's pipeline, whose handler may run (a miss, a refresh). */
export interface PipelineExchange extends Exchange {
  next: CallHandler;
  /** What the route may skip and who may share its pages (judged once per route). */
  judgement: RouteJudgement;
}

/** A request answered from the cache, as `PageCacheInterceptor.onHit()` is told of it. */
export interface PageHit {
  policy: PagePolicy;
  location: PageLocation;
  page: StoredPage;
  /** Past its TTL, served within grace. */
  stale: boolean;
  /** Body bytes sent (0 for HEAD and 304 answers). */
  bytesSent: number;
  /** `performance.now()` when the request reached the cache, only while hits are timed. */
  startedAt?: number;
  /** Served by the early hit path, before Nest's pipeline. */
  early: boolean;
}
