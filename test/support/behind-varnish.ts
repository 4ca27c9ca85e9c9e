import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { fileURLToPath } from 'node:url';
import type { EdgeCacheOptions } from 'nestjs-page-cache';
import { varnishPurge } from 'nestjs-page-cache/varnish';
import { freePort } from './free-port.js';
import { startApp, type AdapterName, type AdapterOptions, type RunningApp } from './http-app.js';
import { VarnishServer } from './varnish.js';

/** The VCL the README documents and the package ships. */
export const SHIPPED_VCL = fileURLToPath(
  new URL('../../libs/page-cache/src/varnish/page-cache.vcl', import.meta.url),
);

/**
 * Boots the app `module(edge)` builds — `edge` purges the Varnish started in front of it, with
 * `xkey` tags — and that Varnish, running the shipped VCL.
 */
export async function startBehindVarnish(
  adapter: AdapterName,
  module: (edge: EdgeCacheOptions) => Type<unknown> | DynamicModule,
  configure?: (app: INestApplication) => void | Promise<void>,
  options?: AdapterOptions,
): Promise<{ app: RunningApp; varnish: VarnishServer }> {
  const varnishPort = await freePort();
  const edge = {
    header: 'xkey' as const,
    purge: varnishPurge({ url: `http://127.0.0.1:${varnishPort}/` }),
  };
  const app = await startApp(adapter, module(edge), configure, options);
  const varnish = new VarnishServer(SHIPPED_VCL, varnishPort, Number(new URL(app.url).port));
  await varnish.start();
  return { app, varnish };
}
