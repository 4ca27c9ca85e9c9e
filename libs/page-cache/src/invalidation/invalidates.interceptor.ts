import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { concatMap, from, map, type Observable } from 'rxjs';
import { INVALIDATES_METADATA, type ModelSpec, type PageRequest } from '../pages/page-metadata.js';
import { rawResponse, type AdapterResponse } from '../pages/adapter-response.js';
import { InvalidationListener } from './invalidation.listener.js';

/**
 * Runs the invalidations declared with `@Invalidates()` once a handler has succeeded with a 2xx
 * status, and before its response is sent, so the client's next read is fresh.
 */
@Injectable()
export class InvalidatesInterceptor implements NestInterceptor {
  /** `@Invalidates` metadata by handler, read once (this runs on every request). */
  private readonly specs = new Map<unknown, ModelSpec | null>();

  constructor(
    private readonly reflector: Reflector,
    private readonly invalidations: InvalidationListener,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const handler = context.getHandler();
    let spec = this.specs.get(handler);
    if (spec === undefined) {
      spec =
        this.reflector.get<ModelSpec | undefined>(INVALIDATES_METADATA, handler) ??
        this.reflector.get<ModelSpec | undefined>(INVALIDATES_METADATA, context.getClass()) ??
        null;
      this.specs.set(handler, spec);
    }
    if (!spec) return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<PageRequest>();
    const raw: ServerResponse = rawResponse(http.getResponse<AdapterResponse>());
    return next.handle().pipe(
      concatMap(value => {
        if (raw.statusCode < 200 || raw.statusCode >= 300) return [value];
        return from(this.invalidate(spec, request)).pipe(map(() => value));
      }),
    );
  }

  private async invalidate(spec: ModelSpec, request: PageRequest): Promise<void> {
    const jobs = spec.models.map(model => this.invalidations.invalidate({ model }));
    for (const { model, id } of spec.entities) {
      const value = typeof id === 'function' ? id(request) : request.params?.[id];
      // Without the id (a missing parameter), every entity of the model is outdated.
      jobs.push(
        this.invalidations.invalidate(
          value === undefined || value === null || value === '' ? { model } : { model, id: value },
        ),
      );
    }
    await Promise.all(jobs);
  }
}
