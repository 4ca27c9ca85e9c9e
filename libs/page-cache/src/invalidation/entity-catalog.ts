/**
 * The entity names of the app's ORM integrations, by the event emitter they emit on (one per app).
 * Read lazily: an ORM whose metadata is built later is read as it is at check time.
 */
const catalogs = new WeakMap<object, (() => Iterable<string>)[]>();

/** Announces the entities an ORM integration emits events for, on the app's emitter. */
export function announceEntities(events: object, names: () => Iterable<string>): void {
  catalogs.set(events, [...(catalogs.get(events) ?? []), names]);
}

/**
 * Every entity announced on `events`, or `undefined` when no ORM integration announced any (then
 * names come only from the events the app emits).
 */
export function announcedEntities(events: object | undefined): Set<string> | undefined {
  const names = new Set<string>();
  for (const read of (events && catalogs.get(events)) ?? []) {
    try {
      for (const name of read()) names.add(name);
    } catch {
      // An ORM not initialized yet announces nothing for now.
    }
  }
  return names.size > 0 ? names : undefined;
}
