/**
 * Checks in Nest's pipeline that an early hit must not skip. Each route is warmed by a member
 * (MISS then HIT) and then asked by strangers, who must get 403 every time.
 */
import {
  applyDecorators,
  Controller,
  ForbiddenException,
  Get,
  Inject,
  Injectable,
  Module,
  Scope,
  UseGuards,
  UseInterceptors,
  UsePipes,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type MiddlewareConsumer,
  type NestInterceptor,
  type NestModule,
  type PipeTransform,
} from '@nestjs/common';
import {
  ContextIdFactory,
  REQUEST,
  type ContextId,
  type ContextIdStrategy,
  type HostComponentInfo,
} from '@nestjs/core';
import { CacheService, CachePage, type PageRequest } from 'nestjs-page-cache';
import { pageCache } from '../../fixtures/pages/cache-import.js';
import { ADAPTERS, rawRequest, startApp, type RunningApp } from '../../support/http-app.js';

const member = (request: PageRequest) => {
  const headers = (request as { headers?: Record<string, unknown> }).headers ?? {};
  if (headers['x-member'] !== 'acme') throw new ForbiddenException('not a member');
};

@Injectable()
class ScopedInterceptor implements NestInterceptor {
  constructor(@Inject(REQUEST) request: PageRequest) {
    member(request);
  }
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle();
  }
}

@Injectable({ scope: Scope.TRANSIENT })
class TransientMembership {
  constructor(@Inject(REQUEST) request: PageRequest) {
    member(request);
  }
}

@Injectable({ scope: Scope.REQUEST })
class ScopedPipe implements PipeTransform {
  constructor(@Inject(REQUEST) request: PageRequest) {
    member(request);
  }
  transform(value: unknown) {
    return value;
  }
}

const DURABLE = Symbol('durable');
const durableProvider = {
  provide: DURABLE,
  scope: Scope.REQUEST,
  durable: true,
  inject: [REQUEST],
  useFactory: (payload: { member?: string }) => {
    if (payload.member !== 'acme') throw new ForbiddenException('not a member');
    return { tenant: 'acme' };
  },
};

/** Durable trees per X-Member value (the Nest docs' multi-tenancy strategy). */
class MemberStrategy implements ContextIdStrategy {
  private readonly trees = new Map<string, ContextId>();
  attach(contextId: ContextId, request: PageRequest) {
    const key = String(request.headers['x-member'] ?? '');
    let tree = this.trees.get(key);
    if (!tree) this.trees.set(key, (tree = ContextIdFactory.create()));
    return {
      resolve: (info: HostComponentInfo) => (info.isTreeDurable ? tree! : contextId),
      payload: { member: key },
    };
  }
}

@Injectable()
class MemberGuard implements CanActivate {
  canActivate(context: ExecutionContext) {
    member(context.switchToHttp().getRequest());
    return true;
  }
}
const MembersOnly = () => applyDecorators(UseGuards(MemberGuard));

@UseGuards(MemberGuard)
class GuardedBase {}

@Controller('held')
class HeldController {
  @Get('interceptor')
  @UseInterceptors(ScopedInterceptor)
  @CachePage('1m')
  interceptor() {
    return { page: 'interceptor' };
  }

  @Get('applied-guard')
  @MembersOnly()
  @CachePage('1m')
  appliedGuard() {
    return { page: 'applied-guard' };
  }
}

@Controller('held-transient')
class TransientController {
  constructor(readonly membership: TransientMembership) {}
  @Get()
  @CachePage('1m')
  page() {
    return { page: 'transient' };
  }
}

@Controller('held-pipe')
@UsePipes(ScopedPipe)
class PipeController {
  @Get()
  @CachePage('1m')
  page() {
    return { page: 'pipe' };
  }
}

@Controller('held-durable')
class DurableController {
  constructor(@Inject(DURABLE) readonly membership: { tenant: string }) {}
  @Get()
  @CachePage('1m')
  page() {
    return { page: 'durable' };
  }
}

@Controller('held-parent')
class ParentGuardedController extends GuardedBase {
  @Get()
  @CachePage('1m')
  page() {
    return { page: 'parent' };
  }
}

@Controller('held-middleware')
class MiddlewareController {
  @Get()
  @CachePage('1m')
  page() {
    return { page: 'middleware' };
  }
}

function heldModule(name: string): DynamicModule {
  @Module({})
  class HeldModule implements NestModule {
    configure(consumer: MiddlewareConsumer) {
      consumer
        .apply((req: PageRequest, _res: unknown, next: () => void) => {
          member(req);
          next();
        })
        .forRoutes('held-middleware');
    }
  }
  return {
    module: HeldModule,
    imports: [pageCache(name)],
    controllers: [
      HeldController,
      TransientController,
      PipeController,
      DurableController,
      ParentGuardedController,
      MiddlewareController,
    ],
    providers: [ScopedInterceptor, TransientMembership, ScopedPipe, durableProvider, MemberGuard],
  };
}

const ROUTES = [
  '/held/interceptor',
  '/held/applied-guard',
  '/held-transient',
  '/held-pipe',
  '/held-durable',
  '/held-parent',
  '/held-middleware',
];

describe.each(ADAPTERS)('pipeline checks are never skipped by a hit, on %s', adapter => {
  let app: RunningApp;
  beforeAll(async () => {
    ContextIdFactory.apply(new MemberStrategy());
    app = await startApp(adapter, heldModule(`key-held-${adapter}`));
  });
  afterAll(async () => {
    await app.app.get(CacheService).clear();
    await app.close();
  });

  it.each(ROUTES)('%s: strangers get 403 after members warmed the page', async route => {
    for (const expected of ['MISS', 'HIT', 'HIT']) {
      const page = await rawRequest(app, route, { 'x-member': 'acme' });
      expect([page.status, page.cache], route).toEqual([200, expected]);
    }
    for (const stranger of [{ 'x-member': 'globex' }, {}] as Record<string, string>[]) {
      const answer = await rawRequest(app, route, stranger);
      expect([answer.status, answer.cache], route).toEqual([403, undefined]);
    }
  });
});
