export { registerCacheMetrics, type CacheMetricsOptions } from './cache-metrics.js';
export { CacheMetricsModule } from './cache-metrics.module.js';
