import type { DynamicModule, Type } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { RunningApp } from './http-app.js';

/**
 * A custom find-my-way constraint strategy: Fastify chooses among the handlers of one URL by the
 * `X-Tenant` header (https://fastify.dev/docs/latest/Reference/Routes/#constraints).
 */
export const tenantStrategy = {
  name: 'tenant',
  storage() {
    const handlers = new Map<string, unknown>();
    return {
      get: (value: string) => handlers.get(value) ?? null,
      set: (value: string, store: unknown) => void handlers.set(value, store),
    };
  },
  deriveConstraint: (request: { headers: Record<string, unknown> }) =>
    request.headers['x-tenant'] as string | undefined,
  mustMatchWhenDerived: true,
  validate: () => true,
};

/** Boots `module` on Fastify with the tenant constraint strategy, on a free loopback port. */
export async function startWithTenantConstraint(
  module: DynamicModule | Type<unknown>,
): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication(
    new FastifyAdapter({ constraints: { tenant: tenantStrategy } } as never),
    { logger: ['error', 'warn'] },
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return { app, url, get: (path, init) => fetch(`${url}${path}`, init), close: () => app.close() };
}
