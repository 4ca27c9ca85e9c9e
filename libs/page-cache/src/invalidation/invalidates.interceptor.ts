import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { concatMap, from, map, type Observable } from 'rxjs';
import { INVALIDATES_METADATA, type ModelSpec, type PageRequest } from '../pages/page-metadata.js';
import { rawResponse, type AdapterResponse } from '../pages/adapter-response.js';
import type { EntityEventPayload } from './entity-events.js';
import { InvalidationListener } from './invalidation.listener.js';

const HANDLED = Symbol('nestjs-page-cache:invalidates');

/**
 * Runs a route's `@Invalidates()` on every cache once its handler answered 2xx, before the response
 * is sent, so the client's next read is fresh. Applied only to the routes it marks, it is created in
 * the controller's module: it needs only Nest's own providers, and finds the caches' listeners on
 * first use.
 */
@Injectable()
export class InvalidatesInterceptor implements NestInterceptor {
  /** The invalidation listener of every cache (one per `CacheModule.forRoot`). */
  private listeners?: InvalidationListener[];

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<PageRequest & { [HANDLED]?: true }>();
    // Reads are never invalidations; and on a class and its method, it is applied twice.
    if (request.method === 'GET' || request.method === 'HEAD' || request[HANDLED]) {
      return next.handle();
    }
    request[HANDLED] = true;
    const spec = this.reflector.getAllAndOverride<ModelSpec | undefined>(INVALIDATES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!spec) return next.handle();
    const raw: ServerResponse = rawResponse(http.getResponse<AdapterResponse>());
    return next.handle().pipe(
      concatMap(value => {
        if (raw.statusCode < 200 || raw.statusCode >= 300) return [value];
        return from(this.invalidate(spec, request)).pipe(map(() => value));
      }),
    );
  }

  private async invalidate(spec: ModelSpec, request: PageRequest): Promise<void> {
    const listeners = (this.listeners ??= this.findListeners());
    const payloads: EntityEventPayload[] = spec.models.map(model => ({ model }));
    for (const { model, id } of spec.entities) {
      const value = typeof id === 'function' ? id(request) : request.params?.[id];
      // Without the id (a missing parameter), every entity of the model is outdated.
      payloads.push(
        value === undefined || value === null || value === '' ? { model } : { model, id: value },
      );
    }
    await Promise.all(
      listeners.flatMap(listener => payloads.map(payload => listener.invalidate(payload))),
    );
  }

  /** Every cache's listener; none without a `CacheModule` (then there is nothing to invalidate). */
  private findListeners(): InvalidationListener[] {
    try {
      const found = this.moduleRef.get(InvalidationListener, { strict: false, each: true });
      return [...new Set(found)];
    } catch {
      return [];
    }
  }
}
