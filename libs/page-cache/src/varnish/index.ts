/**
 * `nestjs-page-cache/varnish`: purges a Varnish cache (vmod_xkey) in front of the app when the
 * page cache invalidates. The VCL it expects ships beside it, as `dist/varnish/page-cache.vcl`.
 */
export { varnishPurge, type VarnishPurgeOptions } from './varnish-purge.js';
