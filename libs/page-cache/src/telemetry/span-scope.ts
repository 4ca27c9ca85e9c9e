import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { OpenTelemetryApi } from './open-telemetry.js';
import type { TraceAttributes, TraceSpan } from './tracing.interface.js';

/**
 * One span of the cache and the context it is the active span of: its children are started in
 * that context, and so is the work `run` is given (a database query a factory makes is its child).
 * Made only while a tracer provider is registered: when none is, the cache makes none of these.
 */
export class SpanScope implements TraceSpan {
  readonly context: Context;
  private ended = false;

  constructor(
    protected readonly api: OpenTelemetryApi,
    protected readonly tracer: Tracer,
    readonly span: Span,
    parent: Context,
  ) {
    this.context = api.trace.setSpan(parent, span);
  }

  set(name: string, value: string | number | boolean): void {
    this.span.setAttribute(name, value);
  }

  run<T>(work: () => T): T {
    return this.api.context.with(this.context, work);
  }

  async runToEnd<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await this.run(work);
      this.end();
      return result;
    } catch (error) {
      this.end(error);
      throw error;
    }
  }

  async child<T>(
    name: string,
    work: () => Promise<T>,
    describe?: (result: T) => TraceAttributes,
    attributes?: TraceAttributes,
  ): Promise<T> {
    const span = this.tracer.startSpan(name, { attributes }, this.context);
    try {
      const result = await this.api.context.with(this.api.trace.setSpan(this.context, span), work);
      if (describe) span.setAttributes(describe(result));
      return result;
    } catch (error) {
      failed(this.api, span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) failed(this.api, this.span, error);
    this.span.end();
  }
}

/** Marks `span` as failed with `error`. */
function failed(api: OpenTelemetryApi, span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message });
}
