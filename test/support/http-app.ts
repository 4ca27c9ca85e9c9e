import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { request as httpRequest } from 'node:http';

/** The HTTP adapters every page test runs on. */
export const ADAPTERS = [
  ['express', (_options?: AdapterOptions) => new ExpressAdapter()],
  ['fastify', (options?: AdapterOptions) => new FastifyAdapter(options)],
] as const;

/** Adapter settings a test may need on both adapters. */
export interface AdapterOptions {
  /** Trust `X-Forwarded-*` (Express's `trust proxy`, Fastify's `trustProxy`). */
  trustProxy?: boolean;
}
export type AdapterName = (typeof ADAPTERS)[number][0];

/** A running Nest app on a loopback port, driven with `fetch`. */
export interface RunningApp {
  app: INestApplication;
  url: string;
  get(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Boots `module` on the named adapter, listening on a free loopback port. */
export async function startApp(
  adapter: AdapterName,
  module: Type<unknown> | DynamicModule,
  configure?: (app: INestApplication) => void | Promise<void>,
  options: AdapterOptions = {},
): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const factory = ADAPTERS.find(([name]) => name === adapter)![1];
  const app = moduleRef.createNestApplication(factory(options), { logger: ['error', 'warn'] });
  if (adapter === 'express' && options.trustProxy) {
    (app.getHttpAdapter().getInstance() as { set(name: string, value: unknown): void }).set(
      'trust proxy',
      true,
    );
  }
  await configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return {
    app,
    url,
    get: (path, init) => fetch(`${url}${path}`, init),
    close: () => app.close(),
  };
}

/** A GET through node:http, for headers fetch() will not send (such as Host). */
export function rawGet(url: string, headers: Record<string, string>): Promise<RawAnswer> {
  const { origin, pathname, search } = new URL(url);
  return send(origin, pathname + search, headers, 'GET');
}

/** A whole answer to a request sent as written (no URL parsing or encoding by the client). */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The `X-Cache` header. */
  cache: string | undefined;
  body: string;
}

/**
 * Sends `GET {target}` exactly as given — `??`, `<`, invalid percent-encoding and all — with the
 * given headers (a `host` header replaces the default).
 */
export function rawRequest(
  app: RunningApp,
  target: string,
  headers: Record<string, string> = {},
  method = 'GET',
  payload?: string,
): Promise<RawAnswer> {
  return send(app.url, target, headers, method, payload);
}

function send(
  origin: string,
  target: string,
  headers: Record<string, string>,
  method: string,
  payload?: string,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: hostname, port, path: target, method, headers, setHost: !('host' in headers) },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            cache: response.headers['x-cache'] as string | undefined,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
