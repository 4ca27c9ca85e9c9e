import type { DynamicModule, Type } from '@nestjs/common';
import { fileURLToPath } from 'node:url';
import type { EdgeCacheOptions } from 'nestjs-page-cache';
import { varnishPurge } from 'nestjs-page-cache/varnish';
import { freePort } from './free-port.js';
import type { RunningApp } from './http-app.js';
import { VarnishServer } from './varnish.js';

/** The VCL the README documents and the package ships. */
export const SHIPPED_VCL = fileURLToPath(
  new URL('../../libs/page-cache/src/varnish/page-cache.vcl', import.meta.url),
);

/** An edge that takes every purge: for tests that read the headers a page goes out with. */
export const ANY_EDGE: EdgeCacheOptions = {
  header: 'Surrogate-Key',
  purge: async () => undefined,
};

/** A `pages.cacheControl` that lets shared caches keep a page. */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=30, s-maxage=600';

/**
 * Boots, with `start`, the app `module(edge)` builds — `edge` purges the Varnish started in front
 * of it, with `xkey` tags — and that Varnish, running the shipped VCL.
 */
export async function startBehindVarnish(
  start: (module: Type<unknown> | DynamicModule) => Promise<RunningApp>,
  module: (edge: EdgeCacheOptions) => Type<unknown> | DynamicModule,
): Promise<{ app: RunningApp; varnish: VarnishServer }> {
  const varnishPort = await freePort();
  const purge = varnishPurge({ url: `http://127.0.0.1:${varnishPort}/` });
  const app = await start(module({ header: 'xkey', purge }));
  const varnish = new VarnishServer(SHIPPED_VCL, varnishPort, Number(new URL(app.url).port));
  await varnish.start();
  return { app, varnish };
}
