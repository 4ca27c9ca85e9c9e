import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Attributes, Tracer, TracerProvider } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
import type { CacheStatistics } from '../cache-statistics.js';
import { observeStatistics } from './cache-instruments.js';
import { libraryVersion, loadOpenTelemetry, type OpenTelemetryApi } from './open-telemetry.js';
import { routePattern } from '../pages/key/canonical-request.js';
import { PageTrace } from './page-trace.js';
import { SpanScope } from './span-scope.js';
import { ATTRIBUTES, INSTRUMENTATION_SCOPE, SPANS } from './telemetry-names.js';
import type { CacheTracing, TraceAttributes } from './tracing.interface.js';

/** The `telemetry` option, resolved: off, or on with or without keys in attributes. */
export type TelemetrySettings = false | { keys: boolean };

/**
 * One cache's OpenTelemetry instrumentation, through `@opentelemetry/api` only (the app brings the
 * SDK). Spans are made only while a tracer provider is registered — checked on each request, which
 * allocates nothing — and the metrics are observable instruments that read the statistics
 * (`stats()`) when the meter collects, registered at startup when a meter provider is. Without
 * the API installed, or with `telemetry: false`, it does nothing at all.
 */
export class CacheTelemetry implements CacheTracing, OnApplicationBootstrap, OnApplicationShutdown {
  /** The provider the current tracer is from, to notice another one being registered. */
  private provider?: TracerProvider;
  private current?: Tracer;
  /** The API's no-op provider: what the global one delegates to while none is registered. */
  private readonly noop?: TracerProvider;
  /** Where this cache keeps a request's page span (the early path's, for Nest's path). */
  private readonly slot = Symbol('nestjs-page-cache:page-span');
  private unobserve?: () => void;

  constructor(
    private readonly api: OpenTelemetryApi | undefined,
    /** Whether cache keys, entity ids and paths may be recorded (`telemetry: { keys: true }`). */
    readonly keys: boolean,
    private readonly cacheName: string,
    private readonly statistics?: CacheStatistics,
    private readonly version = api && libraryVersion(),
  ) {
    this.noop = api && new api.ProxyTracerProvider().getDelegate();
  }

  /** Loads the API (unless `settings` is false) and builds the instrumentation of one cache. */
  static async create(
    settings: TelemetrySettings,
    cacheName: string,
    statistics?: CacheStatistics,
  ): Promise<CacheTelemetry> {
    const api = settings === false ? undefined : await loadOpenTelemetry();
    return new CacheTelemetry(api, settings !== false && settings.keys, cacheName, statistics);
  }

  /** Registers the metrics, when a meter provider is registered and statistics are kept. */
  onApplicationBootstrap(): void {
    const { api, statistics } = this;
    if (!api || !statistics?.enabled || this.unobserve) return;
    const meter = api.metrics.getMeter(INSTRUMENTATION_SCOPE, this.version);
    if (meter === api.createNoopMeter()) return;
    this.unobserve = observeStatistics(meter, statistics);
  }

  onApplicationShutdown(): void {
    this.unobserve?.();
    this.unobserve = undefined;
  }

  /** The registered tracer provider's tracer, or `undefined` while none is registered. */
  tracer(): Tracer | undefined {
    const api = this.api;
    if (api === undefined) return undefined;
    const global = api.trace.getTracerProvider() as TracerProvider & { getDelegate?(): unknown };
    const provider = (global.getDelegate?.() as TracerProvider | undefined) ?? global;
    if (provider === this.noop) return undefined;
    if (provider !== this.provider) {
      this.provider = provider;
      this.current = provider.getTracer(INSTRUMENTATION_SCOPE, this.version);
    }
    return this.current;
  }

  /** The page span, a child of the active context (the HTTP server span): see `CacheTracing`. */
  page(request: object, raw: ServerResponse, view: string): PageTrace | undefined {
    const tracer = this.tracer();
    if (tracer === undefined) return undefined;
    const held = request as Record<symbol, PageTrace | undefined>;
    const known = held[this.slot];
    if (known !== undefined) return known;
    const api = this.api!;
    const attributes: Attributes = {
      [ATTRIBUTES.cache]: this.cacheName,
      [ATTRIBUTES.view]: view,
    };
    const route = routePattern(request);
    if (route !== undefined) attributes[ATTRIBUTES.route] = route;
    const parent = api.context.active();
    const span = tracer.startSpan(SPANS.page, { attributes }, parent);
    const trace = new PageTrace(api, tracer, span, parent, this.keys);
    held[this.slot] = trace;
    raw.once('close', () => trace.end());
    return trace;
  }

  start(name: string, attributes: TraceAttributes, opted?: TraceAttributes): SpanScope | undefined {
    const tracer = this.tracer();
    if (tracer === undefined) return undefined;
    const api = this.api!;
    const all = { [ATTRIBUTES.cache]: this.cacheName, ...attributes };
    if (opted && this.keys) Object.assign(all, opted);
    const parent = api.context.active();
    return new SpanScope(api, tracer, tracer.startSpan(name, { attributes: all }, parent), parent);
  }
}
