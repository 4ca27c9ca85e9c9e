import 'reflect-metadata';
import { Controller, Get, UseGuards, type CanActivate, type Type } from '@nestjs/common';
import type { ApplicationConfig } from '@nestjs/core';
import type { PagePolicy } from '../pages/policy/page-policy.js';
import { hostFromProxy, notSharedReason } from './edge-eligibility.js';

class Open implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller('open')
class OpenController {
  @Get()
  page(): string {
    return '';
  }

  @Get('guarded')
  @UseGuards(Open)
  guarded(): string {
    return '';
  }
}

@Controller('guarded')
@UseGuards(Open)
class GuardedController {
  @Get()
  page(): string {
    return '';
  }
}

/** The parts of a policy the check reads. */
function policy(personalised: boolean, headers: string[] = []): PagePolicy {
  return { personalised, vary: { headers } } as unknown as PagePolicy;
}

/** An app config with (or without) global guards. */
function config(globalGuards = 0): ApplicationConfig {
  return {
    getGlobalGuards: () => Array.from({ length: globalGuards }, () => new Open()),
    getGlobalRequestGuards: () => [],
  } as unknown as ApplicationConfig;
}

describe('notSharedReason', () => {
  const proto = OpenController.prototype;
  const route = (controller: Type, handler: object) => [controller, handler] as const;

  it('lets an edge share a page only the URL selects, on a route without guards', () => {
    expect(notSharedReason(policy(false), ...route(OpenController, proto.page), config())).toBe(
      undefined,
    );
  });

  it('keeps personalised and header-varied pages, and guarded routes, from the edge', () => {
    const open = route(OpenController, proto.page);
    expect(notSharedReason(policy(true), ...open, config())).toBe('personalised');
    expect(notSharedReason(policy(false, ['accept-language']), ...open, config())).toBe('varies');
    expect(notSharedReason(policy(false), ...route(OpenController, proto.guarded), config())).toBe(
      'guards',
    );
    expect(
      notSharedReason(
        policy(false),
        ...route(GuardedController, GuardedController.prototype.page),
        config(),
      ),
    ).toBe('guards');
    expect(notSharedReason(policy(false), ...open, config(1))).toBe('guards');
    // Global guards cannot be ruled out without the app's config.
    expect(notSharedReason(policy(false), ...open, undefined)).toBe('guards');
  });
});

describe('hostFromProxy', () => {
  const request = (host: string | undefined, reported: { host?: string; hostname?: string }) => ({
    method: 'GET',
    url: '/',
    headers: { host },
    ...reported,
  });

  it('is false when the framework reports the Host header (any case, port or not)', () => {
    expect(hostFromProxy(request('Example.com:8080', { host: 'example.com:8080' }))).toBe(false);
    expect(hostFromProxy(request('example.com:8080', { hostname: 'example.com' }))).toBe(false);
    expect(hostFromProxy(request('example.com', {}))).toBe(false);
  });

  it('is true when the host came from a proxy header, or there is no Host', () => {
    expect(hostFromProxy(request('example.com', { host: 'evil.example' }))).toBe(true);
    expect(hostFromProxy(request('example.com:80', { hostname: 'evil.example' }))).toBe(true);
    expect(hostFromProxy(request(undefined, { hostname: 'example.com' }))).toBe(true);
  });
});
