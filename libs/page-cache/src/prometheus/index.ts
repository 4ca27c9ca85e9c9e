export {
  registerCacheMetrics,
  DEFAULT_HIT_DURATION_BUCKETS,
  type CacheMetricsOptions,
  type CacheMetricsHandle,
} from './cache-metrics.js';
export { CacheMetricsModule, CacheMetrics, CACHE_METRICS_OPTIONS } from './cache-metrics.module.js';
