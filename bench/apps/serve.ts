import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';

export type AdapterName = 'express' | 'fastify';

/** Reads `--name value` from this process's arguments. */
export function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? fallback : process.argv[i + 1];
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

/** The `--adapter` argument. */
export function adapterArg(): AdapterName {
  const adapter = arg('adapter', 'express');
  if (adapter !== 'express' && adapter !== 'fastify') throw new Error(`bad --adapter ${adapter}`);
  return adapter;
}

/** The `REDIS_URL` the runner gives its apps. */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set');
  return url;
}

/**
 * Boots an app under test on a free loopback port and tells the runner with a `LISTENING <port>`
 * line on stdout. The app exits on SIGTERM/SIGINT (closing Nest first, so `--cpu-prof` writes its
 * profile) and when the runner goes away (its end of stdin closes).
 */
export async function serve(
  module: Type<unknown> | DynamicModule,
  adapter: AdapterName,
  configure?: (app: INestApplication) => void | Promise<void>,
): Promise<INestApplication> {
  // Only the adapter in use is loaded.
  const httpAdapter =
    adapter === 'fastify'
      ? new (await import('@nestjs/platform-fastify')).FastifyAdapter()
      : new (await import('@nestjs/platform-express')).ExpressAdapter();
  const app = await NestFactory.create(module, httpAdapter, { logger: ['error', 'warn'] });
  await configure?.(app);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => process.exit(0), 3_000);
    force.unref();
    void app.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();
  process.stdout.write(`LISTENING ${port}\n`);
  return app;
}
