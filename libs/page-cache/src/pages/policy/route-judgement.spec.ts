import 'reflect-metadata';
import { Controller, Get, UseGuards, VersioningType, type CanActivate } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import type { PagePolicy } from './page-policy.js';
import {
  judgeRoute,
  NOT_EARLY_REASONS,
  NOT_SHARED_REASONS,
  pageCacheControl,
  type RouteFacts,
} from './route-judgement.js';

class Guard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller('plain')
class PlainController {
  @Get()
  page() {
    return 1;
  }

  @Get('guarded')
  @UseGuards(Guard)
  guarded() {
    return 2;
  }
}

@Controller('guarded')
@UseGuards(Guard)
class GuardedController {
  @Get()
  page() {
    return 3;
  }
}

@Controller({ path: 'versioned', version: '1' })
class VersionedController {
  @Get()
  page() {
    return 4;
  }
}

@Controller({ path: 'hosted', host: ':tenant.example.com' })
class HostedController {
  @Get()
  page() {
    return 5;
  }
}

const interceptor = {};
const hook = function earlyHit() {
  return undefined;
};
function policy(options: { early?: boolean; personalised?: boolean; headers?: string[] } = {}) {
  return {
    early: options.early,
    personalised: options.personalised ?? false,
    vary: { headers: options.headers ?? [] },
  } as unknown as PagePolicy;
}
function config(setup: (config: ApplicationConfig) => void = () => undefined): ApplicationConfig {
  const created = new ApplicationConfig();
  created.addGlobalInterceptor(interceptor as never);
  setup(created);
  return created;
}
function facts(overrides: Partial<RouteFacts> = {}): RouteFacts {
  return {
    policy: policy(),
    controller: PlainController,
    handler: PlainController.prototype.page,
    config: config(),
    interceptor,
    staticTree: true,
    ...overrides,
  };
}

describe('judgeRoute', () => {
  it('lets a static, unguarded route the URL alone selects go early and be shared', () => {
    expect(judgeRoute(facts())).toEqual({ notEarly: undefined, notShared: undefined });
  });

  it('keeps guarded routes (any level) from both', () => {
    const guardedHandler = facts({ handler: PlainController.prototype.guarded });
    expect(judgeRoute(guardedHandler)).toEqual({ notEarly: 'guards', notShared: 'guards' });
    const guardedClass = facts({
      controller: GuardedController,
      handler: GuardedController.prototype.page,
    });
    expect(judgeRoute(guardedClass)).toEqual({ notEarly: 'guards', notShared: 'guards' });
    const global = facts({ config: config(c => c.addGlobalGuard(new Guard())) });
    expect(judgeRoute(global)).toEqual({ notEarly: 'guards', notShared: 'guards' });
    // Global guards cannot be ruled out without the app's config.
    expect(judgeRoute(facts({ config: undefined })).notShared).toBe('guards');
  });

  it('keeps request-scoped routes from both: a scoped dependency, an unknown controller, a scoped global enhancer', () => {
    for (const scoped of [
      facts({ staticTree: false }),
      facts({ staticTree: undefined }),
      facts({ config: config(c => c.addGlobalRequestInterceptor({} as never)) }),
      facts({ config: config(c => c.addGlobalRequestPipe({} as never)) }),
    ]) {
      expect(judgeRoute(scoped)).toEqual({
        notEarly: 'request-scoped',
        notShared: 'request-scoped',
      });
    }
  });

  it('keeps routes Nest selects by a header or a host from both; URI versioning is the URL', () => {
    const header = config(c => c.enableVersioning({ type: VersioningType.HEADER, header: 'v' }));
    const media = config(c => c.enableVersioning({ type: VersioningType.MEDIA_TYPE, key: 'v=' }));
    for (const selected of [header, media]) {
      expect(judgeRoute(facts({ config: selected }))).toEqual({
        notEarly: 'versioning',
        notShared: 'versioning',
      });
    }
    const custom = config(c =>
      c.enableVersioning({ type: VersioningType.CUSTOM, extractor: () => '1' }),
    );
    expect(judgeRoute(facts({ config: custom })).notShared).toBe('versioning');
    const uri = config(c => c.enableVersioning({ type: VersioningType.URI }));
    const versioned = {
      controller: VersionedController,
      handler: VersionedController.prototype.page,
    };
    expect(judgeRoute(facts({ ...versioned, config: uri }))).toEqual({
      notEarly: undefined,
      notShared: undefined,
    });
    const hosted = facts({
      controller: HostedController,
      handler: HostedController.prototype.page,
    });
    expect(judgeRoute(hosted)).toEqual({ notEarly: 'host-routing', notShared: 'host-routing' });
  });

  it('keeps personalised and header-varied pages from shared caches only', () => {
    expect(judgeRoute(facts({ policy: policy({ personalised: true }) }))).toEqual({
      notEarly: undefined,
      notShared: 'personalised',
    });
    expect(judgeRoute(facts({ policy: policy({ headers: ['accept-language'] }) })).notShared).toBe(
      'varies',
    );
  });

  it('reads Fastify hooks and schemas: checks after onRequest keep a route from both, a schema or a later onRequest hook from the early path', () => {
    const route = (extra: Record<string, unknown>) => ({
      onRequest: [hook],
      preParsing: null,
      preValidation: null,
      preHandler: null,
      schema: undefined,
      ...extra,
    });
    expect(judgeRoute(facts({ fastifyRoute: route({}), earlyHook: hook }))).toEqual({
      notEarly: undefined,
      notShared: undefined,
      quietSend: true,
    });
    expect(
      judgeRoute(
        facts({ fastifyRoute: route({ preHandler: [() => undefined] }), earlyHook: hook }),
      ),
    ).toEqual({ notEarly: 'fastify-hooks', notShared: 'fastify-hooks', quietSend: true });
    expect(
      judgeRoute(facts({ fastifyRoute: route({ schema: { querystring: {} } }), earlyHook: hook })),
    ).toEqual({ notEarly: 'fastify-later-steps', notShared: undefined, quietSend: true });
    expect(
      judgeRoute(
        facts({ fastifyRoute: route({ onRequest: [hook, () => undefined] }), earlyHook: hook }),
      ),
    ).toEqual({ notEarly: 'fastify-later-steps', notShared: undefined, quietSend: true });
  });

  it('says whether a Fastify route runs a hook while a reply is sent (an early hit may skip the send)', () => {
    const quiet = (extra: Record<string, unknown>, idle = 0) =>
      judgeRoute(
        facts({
          fastifyRoute: { onRequest: [hook], ...extra },
          earlyHook: hook,
          idleResponseHooks: () => idle,
        }),
      ).quietSend;
    const one = [() => undefined];
    expect(quiet({ onSend: null, preSerialization: null, onError: null })).toBe(true);
    // An onResponse hook may read the reply's headers; Nest's, while idle, does nothing.
    expect(quiet({ onResponse: one })).toBe(false);
    expect(quiet({ onResponse: one }, 1)).toBe(true);
    expect(quiet({ onResponse: [...one, ...one] }, 1)).toBe(false);
    expect(quiet({ onSend: one })).toBe(false);
    expect(quiet({ preSerialization: one })).toBe(false);
    expect(quiet({ onError: one })).toBe(false);
    expect(judgeRoute(facts({})).quietSend).toBeUndefined();
  });

  it("lets @fastify/compress's own hooks follow the early one, and nothing else", () => {
    // The shapes @fastify/compress gives them, bound by Fastify as every route hook.
    const decorate = function onRequest(_request: unknown, _reply: unknown, next: () => void) {
      next();
    }.bind(null);
    const decode = function preParsing(_q: unknown, _r: unknown, raw: unknown, next: () => void) {
      next();
    }.bind(null);
    const other = function onRequest(_request: unknown, _reply: unknown) {
      return undefined;
    }.bind(null);
    const route = (onRequest: unknown[], preParsing: unknown[] | null = [decode]) => ({
      fastifyRoute: { onRequest, preParsing, preValidation: null, preHandler: null },
      earlyHook: hook,
    });
    const judge = (facts_: ReturnType<typeof route>, fastifyCompress: boolean) =>
      judgeRoute(facts({ ...facts_, fastifyCompress }));
    expect(judge(route([hook, decorate]), true)).toEqual({ quietSend: true });
    expect(judge(route([hook, decorate]), false)).toEqual({
      notEarly: 'fastify-hooks',
      notShared: 'fastify-hooks',
      quietSend: true,
    });
    expect(judge(route([hook, decorate], null), false).notEarly).toBe('fastify-later-steps');
    expect(judge(route([hook, other]), true).notEarly).toBe('fastify-later-steps');
    expect(judge(route([hook, decorate, decorate]), true).notEarly).toBe('fastify-later-steps');
    expect(judge(route([hook], [decode, decode]), true).notEarly).toBe('fastify-hooks');
  });

  it('keeps interceptors ahead of the page cache seeing hits unless the page opts in', () => {
    const ahead = new ApplicationConfig();
    ahead.addGlobalInterceptor({} as never);
    ahead.addGlobalInterceptor(interceptor as never);
    expect(judgeRoute(facts({ config: ahead })).notEarly).toBe('interceptors-before');
    expect(judgeRoute(facts({ config: ahead, policy: policy({ early: true }) })).notEarly).toBe(
      undefined,
    );
    expect(judgeRoute(facts({ policy: policy({ early: false }) })).notEarly).toBe('off');
    expect(judgeRoute(facts({ config: new ApplicationConfig() })).notEarly).toBe('not-global');
  });
});

describe('pageCacheControl', () => {
  const shared = { notShared: undefined };
  const guarded = { notShared: 'guards' as const };
  it('sends the configured value only where shared caches may keep the page', () => {
    const configured = 'public, max-age=30, s-maxage=600';
    const noEdge = { enabled: false, tagged: false };
    expect(pageCacheControl(configured, shared, noEdge)).toBe(configured);
    expect(pageCacheControl(configured, guarded, noEdge)).toBe('private, max-age=30');
    expect(pageCacheControl(undefined, guarded, noEdge)).toBeUndefined();
    expect(pageCacheControl(configured, shared, { enabled: true, tagged: true })).toBe(configured);
    expect(pageCacheControl(undefined, shared, { enabled: true, tagged: false })).toBe('private');
    expect(pageCacheControl(configured, shared, { enabled: true, tagged: false })).toBe(
      'private, max-age=30',
    );
  });
});

/** A handler with one metadata value, as `@RouteConstraints()`/`@RouteSchema()` write it. */
function withMetadata(key: string, value: unknown): object {
  const handler = () => undefined;
  Reflect.defineMetadata(key, value, handler);
  return handler;
}

describe('the table of what goes early and what is shared, in docs/security.md', () => {
  const fastify = (route: Record<string, unknown>) => ({
    fastifyRoute: { onRequest: [hook], ...route },
    earlyHook: hook,
  });
  const ahead = new ApplicationConfig();
  ahead.addGlobalInterceptor({} as never);
  ahead.addGlobalInterceptor(interceptor as never);
  /** A route that has what each reason of the table names. */
  const routes: Record<string, RouteFacts> = {
    guards: facts({ handler: PlainController.prototype.guarded }),
    'request-scoped': facts({ staticTree: false }),
    versioning: facts({
      config: config(c => c.enableVersioning({ type: VersioningType.HEADER, header: 'v' })),
    }),
    'host-routing': facts({
      controller: HostedController,
      handler: HostedController.prototype.page,
    }),
    'route-constraints': facts({
      handler: withMetadata('__fastify_route_constraints__', { tenant: 'acme' }),
    }),
    'header-schema': facts({
      handler: withMetadata('__fastify_route_schema__', { headers: { required: ['x-key'] } }),
    }),
    'fastify-hooks': facts(fastify({ preHandler: [() => undefined] })),
    'fastify-later-steps': facts(fastify({ schema: {} })),
    'interceptors-before': facts({ config: ahead }),
    off: facts({ policy: policy({ early: false }) }),
    'not-global': facts({ config: new ApplicationConfig() }),
    personalised: facts({ policy: policy({ personalised: true }) }),
    varies: facts({ policy: policy({ headers: ['x-tenant'] }) }),
    '—': facts({
      ...fastify({}),
      config: config(c => c.enableVersioning({ type: VersioningType.URI })),
    }),
  };

  const readme = readFileSync(new URL('../../../../../docs/security.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('| the route has ')).split('\n');
  const rows: { reason: string; early: boolean; shared: boolean }[] = [];
  for (const line of table.slice(2)) {
    if (!line.startsWith('|')) break;
    const [, , reason, early, shared] = line.split('|').map(cell => cell.trim());
    rows.push({
      reason: reason!.replace(/`/g, ''),
      early: early!.startsWith('yes'),
      shared: shared === 'yes',
    });
  }

  it('names every reason the judgement gives', () => {
    const named = new Set(rows.map(row => row.reason));
    for (const reason of [...NOT_EARLY_REASONS, ...NOT_SHARED_REASONS]) {
      expect(named.has(reason), reason).toBe(true);
    }
  });

  it.each(rows.map(row => [row.reason, row] as const))(
    'states the judgement of a route with %s',
    (reason, row) => {
      const route = routes[reason];
      expect(route, `no route for the reason ${reason}`).toBeDefined();
      const judgement = judgeRoute(route!);
      expect(judgement.notEarly === undefined, 'early').toBe(row.early);
      expect(judgement.notShared === undefined, 'shared').toBe(row.shared);
      if (!row.early) expect(judgement.notEarly).toBe(reason);
      if (!row.shared) expect(judgement.notShared).toBe(reason);
    },
  );
});
