import { NodeSDK } from '@opentelemetry/sdk-node';
import { PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/** What an exporter reports when it has done its work (`ExportResultCode.SUCCESS`). */
const SUCCESS = { code: 0 };

/** Takes every span and drops it: the SDK does all its work, nothing leaves the process. */
const discardSpans: SpanExporter = {
  export: (_spans, done) => done(SUCCESS),
  shutdown: async () => {},
};

const discardMetrics: PushMetricExporter = {
  export: (_metrics, done) => done(SUCCESS),
  forceFlush: async () => {},
  shutdown: async () => {},
};

/**
 * Registers the OpenTelemetry Node SDK as docs/opentelemetry.md wires it (a tracer provider with
 * the batch span processor, a meter provider with a periodic reader, the AsyncLocalStorage context
 * manager), with exporters that discard and no instrumentation of its own: what the cache's own
 * spans and instruments cost once an app has an SDK. Call it before the app is created.
 */
export function registerOpenTelemetry(): void {
  const sdk = new NodeSDK({
    traceExporter: discardSpans,
    // The SDK's default interval (60 s): the instruments are read by it, not on the hit path.
    metricReaders: [new PeriodicExportingMetricReader({ exporter: discardMetrics })],
    instrumentations: [],
    autoDetectResources: false,
  });
  sdk.start();
}
