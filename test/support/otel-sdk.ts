// The OpenTelemetry SDK as an app registers it (see docs/opentelemetry.md), with in-memory
// exporters. Import it before anything that loads an HTTP server (the adapters): the HTTP
// instrumentation patches `http` as it is next required. Registration is global to the process;
// vitest runs each test file in a process of its own, and `stopOpenTelemetry()` unregisters it.
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** A metric reader the test collects from when it wants (no interval, no exporter). */
class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** Every span ended since the last `spans.reset()`. */
export const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
});
let meters: { provider: MeterProvider; reader: CollectingReader } | undefined;

// Enabled as the module loads, before the adapters load `http`.
const http = new HttpInstrumentation();

/** Registers the tracer provider and the context manager globally, as `NodeSDK.start()` does. */
export function startTracing(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
}

/**
 * Registers a new meter provider (in place of the one before): an app started after this reports
 * to it alone, so no figure of an earlier app's instruments is collected with its own.
 */
export async function startMetrics(): Promise<void> {
  await stopMetrics();
  const reader = new CollectingReader();
  meters = { provider: new MeterProvider({ readers: [reader] }), reader };
  metrics.setGlobalMeterProvider(meters.provider);
}

async function stopMetrics(): Promise<void> {
  if (!meters) return;
  metrics.disable();
  await meters.provider.shutdown();
  meters = undefined;
}

/** Unregisters everything, and disables the HTTP instrumentation. */
export async function stopOpenTelemetry(): Promise<void> {
  http.disable();
  trace.disable();
  context.disable();
  await stopMetrics();
  await tracerProvider.shutdown();
}

/** The metrics collected now from the current meter provider, by name. */
export async function collectMetrics(): Promise<Map<string, MetricData>> {
  if (!meters) throw new Error('startMetrics() first');
  const { resourceMetrics, errors } = await meters.reader.collect();
  if (errors.length > 0) throw new Error(`metric collection failed: ${String(errors[0])}`);
  const found = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) found.set(metric.descriptor.name, metric);
  }
  return found;
}

/** The value of the point of `metric` whose attributes include `attributes` (one must match). */
export function pointValue(
  all: Map<string, MetricData>,
  name: string,
  attributes: Record<string, string>,
): number | undefined {
  const metric = all.get(name);
  if (!metric) return undefined;
  const points = (metric.dataPoints as DataPoint<unknown>[]).filter(point =>
    Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
  );
  if (points.length > 1) throw new Error(`${points.length} points of ${name} match`);
  if (points.length === 0) return undefined;
  const value = points[0]!.value;
  return metric.dataPointType === DataPointType.HISTOGRAM
    ? (value as Histogram).count
    : (value as number);
}

/** The ended spans named `name`. */
export function spansNamed(name: string): ReadableSpan[] {
  return spans.getFinishedSpans().filter(span => span.name === name);
}

/** The ended children of `parent`. */
export function childrenOf(parent: ReadableSpan): ReadableSpan[] {
  const { spanId, traceId } = parent.spanContext();
  return spans
    .getFinishedSpans()
    .filter(
      span =>
        span.parentSpanContext?.spanId === spanId && span.parentSpanContext.traceId === traceId,
    );
}

/** The span `child`'s parent, among the ended ones. */
export function parentOf(child: ReadableSpan): ReadableSpan | undefined {
  const parent = child.parentSpanContext;
  if (!parent) return undefined;
  return spans.getFinishedSpans().find(span => span.spanContext().spanId === parent.spanId);
}
