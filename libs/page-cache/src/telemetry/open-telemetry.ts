import { readFileSync } from 'node:fs';
import type * as OpenTelemetry from '@opentelemetry/api';

/** The `@opentelemetry/api` module, as the app installed it. */
export type OpenTelemetryApi = typeof OpenTelemetry;

let loading: Promise<OpenTelemetryApi | undefined> | undefined;

/**
 * `@opentelemetry/api`, an optional peer dependency: imported once, when the first cache starts,
 * or `undefined` when the app does not have it (the cache then records nothing). A dynamic import,
 * so that the library loads without it; awaited by a provider rather than at the top level, so
 * that `require()` of the library's ESM build keeps working.
 */
export function loadOpenTelemetry(): Promise<OpenTelemetryApi | undefined> {
  return (loading ??= import('@opentelemetry/api').then(
    api => api,
    () => undefined,
  ));
}

/** The library's version, the instrumentation scope's (package.json is two directories up). */
export function libraryVersion(): string | undefined {
  try {
    const manifest = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(manifest) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
