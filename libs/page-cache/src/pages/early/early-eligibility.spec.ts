import { Controller, Get, UseGuards, VersioningType, type CanActivate } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import type { PagePolicy } from '../policy/page-policy.js';
import { notEarlyReason, routeToken } from './early-eligibility.js';

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

@Controller({ path: 'versioned', version: '1' })
class VersionedController {
  @Get()
  page() {
    return 3;
  }
}

@Controller({ path: 'hosted', host: ':tenant.example.com' })
class HostedController {
  @Get()
  page() {
    return 4;
  }
}

const interceptor = {};
const policy = (early?: boolean) => ({ early }) as PagePolicy;
function config(setup: (config: ApplicationConfig) => void = () => undefined): ApplicationConfig {
  const created = new ApplicationConfig();
  created.addGlobalInterceptor(interceptor as never);
  setup(created);
  return created;
}
const plain = PlainController.prototype;

describe('notEarlyReason', () => {
  it('lets a route without guards, host or header versioning go early', () => {
    expect(
      notEarlyReason(policy(), PlainController, plain.page, config(), interceptor),
    ).toBeUndefined();
  });

  it('keeps routes with guards, global guards, interceptors ahead, versions or hosts on the pipeline', () => {
    expect(notEarlyReason(policy(), PlainController, plain.guarded, config(), interceptor)).toBe(
      'guards',
    );
    const guarded = config(c => c.addGlobalGuard(new Guard()));
    expect(notEarlyReason(policy(), PlainController, plain.page, guarded, interceptor)).toBe(
      'guards',
    );
    const ahead = new ApplicationConfig();
    ahead.addGlobalInterceptor({} as never);
    ahead.addGlobalInterceptor(interceptor as never);
    expect(notEarlyReason(policy(), PlainController, plain.page, ahead, interceptor)).toBe(
      'interceptors-before',
    );
    expect(
      notEarlyReason(policy(true), PlainController, plain.page, ahead, interceptor),
    ).toBeUndefined();
    const header = config(c => c.enableVersioning({ type: VersioningType.HEADER, header: 'v' }));
    expect(notEarlyReason(policy(), PlainController, plain.page, header, interceptor)).toBe(
      'versioning',
    );
    const uri = config(c => c.enableVersioning({ type: VersioningType.URI }));
    expect(
      notEarlyReason(
        policy(),
        VersionedController,
        VersionedController.prototype.page,
        uri,
        interceptor,
      ),
    ).toBeUndefined();
    expect(
      notEarlyReason(
        policy(),
        HostedController,
        HostedController.prototype.page,
        config(),
        interceptor,
      ),
    ).toBe('host-routing');
    expect(notEarlyReason(policy(false), PlainController, plain.page, config(), interceptor)).toBe(
      'off',
    );
    expect(notEarlyReason(policy(), PlainController, plain.page, undefined, interceptor)).toBe(
      'not-global',
    );
  });
});

describe('routeToken', () => {
  it("is Express's route or Fastify's route handler", () => {
    const route = {};
    const handler = () => undefined;
    expect(routeToken({ route })).toBe(route);
    expect(routeToken({ routeOptions: { handler } })).toBe(handler);
    expect(routeToken({})).toBeUndefined();
  });
});
