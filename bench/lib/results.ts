import type { CompressionResult } from '../scenarios/compression.js';
import type { HangResult } from '../scenarios/hang.js';
import type { HitResult } from '../scenarios/hit.js';
import type { InvalidationResult } from '../scenarios/invalidation.js';
import type { NearInvalidationResult } from '../scenarios/near-invalidation.js';
import type { BigIndexResult } from '../scenarios/big-index.js';
import type { CachedMethodResult } from '../scenarios/cached-method.js';
import type { OutboxResult } from '../scenarios/outbox.js';
import type { ProfileResult } from '../scenarios/profile.js';
import type { RealPageResult, Skipped } from '../scenarios/real-page.js';
import type { StampedeResult } from '../scenarios/stampede.js';
import type { StatisticsResult } from '../scenarios/statistics.js';
import type { Machine } from './machine.js';

export const SCENARIOS = [
  'hit',
  'statistics',
  'real-page',
  'invalidation',
  'stampede',
  'hang',
  'profile',
  'outbox',
  'big-index',
  'cached-method',
  'compression',
  'near-invalidation',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** What `bench/results/<date>.json` holds. */
export interface BenchResults {
  schema: 1;
  /** YYYY-MM-DD (UTC) */
  date: string;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: Machine;
  /** `os.loadavg()` (1, 5, 15 min) when the run started and ended: how busy the machine was. */
  loadAverage?: { atStart: number[]; atEnd: number[] };
  tool: { name: string; version: string };
  settings: { connections: number; rounds: number; durationS: number; warmupS: number };
  scenarios: {
    hit?: HitResult;
    statistics?: StatisticsResult;
    'real-page'?: RealPageResult | Skipped;
    invalidation?: InvalidationResult;
    stampede?: StampedeResult;
    hang?: HangResult;
    profile?: ProfileResult;
    outbox?: OutboxResult;
    'big-index'?: BigIndexResult;
    'cached-method'?: CachedMethodResult;
    compression?: CompressionResult;
    'near-invalidation'?: NearInvalidationResult | Skipped;
  };
}
