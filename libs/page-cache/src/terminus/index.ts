export { CacheHealthIndicator, type CacheHealthCheckOptions } from './cache.health.js';
