/**
 * Two same-named controllers (a controller factory, or tenants in two folders) whose handlers
 * Fastify picks by a route constraint (`@RouteConstraints`): their route constraints are part of
 * the key, and a constrained route is keyed by the request as sent (Fastify's built-in `host`
 * strategy matches the Host header case-sensitively). Neither tenant gets the other's page, and
 * no spelling of a host reaches a guarded page of another handler.
 */
import {
  Controller,
  Get,
  Module,
  UseGuards,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { RouteConstraints } from '@nestjs/platform-fastify';
import { CacheService, CachePage } from 'nestjs-page-cache';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import { rawRequest, type RunningApp } from '../../support/http-app.js';
import { startWithTenantConstraint } from '../../support/tenant-constraint.js';

/** One controller class per tenant, from a factory (every class is named `ItemsController`). */
function tenantController(tenant: string, secret: string): Type {
  @Controller('items')
  class ItemsController {
    @Get()
    @RouteConstraints({ tenant })
    @CachePage('1m')
    list() {
      return { tenant, secret };
    }
  }
  return ItemsController;
}

/** Lets only staff through (the admin page is the same for every staff member). */
class StaffGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    return request.headers['x-staff-key'] === 'k3y';
  }
}
class NoGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** Fastify's built-in host constraint: the admin site and the public site, same names. */
function hostController(host: string | undefined, body: string): Type {
  @Controller('home')
  class HomeController {
    @Get()
    @RouteConstraints(host ? { host } : {})
    @UseGuards(host ? StaffGuard : NoGuard)
    @CachePage('1m')
    show() {
      return { body };
    }
  }
  return HomeController;
}

function appModule(name?: string): DynamicModule {
  @Module({})
  class AppModule {}
  return {
    module: AppModule,
    imports: name ? [pageCache(name)] : [],
    controllers: [
      tenantController('acme', 'acme revenue: 42'),
      tenantController('globex', 'globex revenue: 7'),
      hostController('admin.example.test', 'admin dashboard: 3 pending refunds'),
      hostController(undefined, 'public home page'),
    ],
  };
}

describe('Fastify route constraints, same-named controllers', () => {
  let app: RunningApp;
  let twin: RunningApp;
  beforeAll(async () => {
    app = await startWithTenantConstraint(appModule('key-constraints'));
    twin = await startWithTenantConstraint(appModule());
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
    await twin.close();
  });
  afterEach(async () => app.app.get(CacheService).clear());

  it('serves each tenant its own page (custom header constraint)', async () => {
    const first = await rawRequest(app, '/items', { 'x-tenant': 'acme' });
    expect(JSON.parse(first.body).tenant).toBe('acme');
    const victim = await rawRequest(app, '/items', { 'x-tenant': 'globex' });
    const expected = await rawRequest(twin, '/items', { 'x-tenant': 'globex' });
    expect(JSON.parse(expected.body).tenant).toBe('globex');
    expect([victim.status, victim.body], `X-Cache ${victim.cache}`).toEqual([
      expected.status,
      expected.body,
    ]);
  });

  it('does not hand the guarded admin host page to a host Fastify routed to the public handler', async () => {
    const admin = await rawRequest(app, '/home', {
      host: 'admin.example.test',
      'x-staff-key': 'k3y',
    });
    expect(JSON.parse(admin.body).body).toMatch(/admin/);
    const refused = await rawRequest(app, '/home', { host: 'admin.example.test' });
    expect(refused.status).toBe(403);
    // Fastify's host constraint is an exact, case-sensitive match: this goes to the public handler.
    const victim = await rawRequest(app, '/home', { host: 'ADMIN.example.test' });
    const expected = await rawRequest(twin, '/home', { host: 'ADMIN.example.test' });
    expect(JSON.parse(expected.body).body).toBe('public home page');
    expect([victim.status, victim.body], `X-Cache ${victim.cache}`).toEqual([
      expected.status,
      expected.body,
    ]);
  });
});
