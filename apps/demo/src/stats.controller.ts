import { Controller, Get, Render } from '@nestjs/common';
import { CacheService, NoCache, type CacheStats } from 'nestjs-page-cache';

/** One row of the statistics table. */
export interface StatsRow {
  view: string;
  hits: number;
  misses: number;
  stale: number;
  bypasses: number;
  writes: number;
  bytesServed: number;
  /** The hit rate as a percentage with one decimal, e.g. `'66.7%'`. */
  hitRate: string;
}

/** What `views/stats.ejs` renders. */
export interface StatsView {
  title: string;
  rows: StatsRow[];
  total: StatsRow;
  values: { hits: number; misses: number; writes: number; hitRate: string };
  invalidations: { count: number; entriesRemoved: number };
  storeErrors: number;
  breaker: string;
  generatedAt: string;
}

/** The cache's statistics as an HTML page: hit rate per view, since the process started. */
@Controller('stats')
export class StatsController {
  constructor(private readonly cache: CacheService) {}

  @Get()
  @NoCache()
  @Render('stats')
  stats(): StatsView {
    const stats = this.cache.stats();
    return {
      title: 'Cache statistics',
      rows: Object.entries(stats.views)
        .map(([view, figures]) => row(view, figures))
        .sort((a, b) => a.view.localeCompare(b.view)),
      total: row('All pages', stats.pages),
      values: { ...stats.values, hitRate: percent(stats.values.hitRate) },
      invalidations: stats.invalidations,
      storeErrors: stats.storeErrors,
      breaker: stats.breaker,
      generatedAt: new Date().toISOString(),
    };
  }
}

function row(view: string, figures: CacheStats['pages']): StatsRow {
  return {
    view,
    hits: figures.hits,
    misses: figures.misses,
    stale: figures.stale,
    bypasses: Object.values(figures.bypasses).reduce((sum, count) => sum + (count ?? 0), 0),
    writes: figures.writes,
    bytesServed: figures.bytesServed,
    hitRate: percent(figures.hitRate),
  };
}

/** `0.6667` → `'66.7%'`. */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
