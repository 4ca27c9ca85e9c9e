import type { ModelRef } from '../interfaces/model-ref.interface.js';

/** Emitted after an entity is inserted or updated: clears every entry built from it. */
export const ENTITY_SAVED = 'entity.saved';
/** Emitted after an entity is deleted: clears every entry built from it. */
export const ENTITY_DELETED = 'entity.deleted';

/**
 * Payload of {@link ENTITY_SAVED} / {@link ENTITY_DELETED}: the entity instance itself (its class
 * name is the model, its `id` property the id), or a descriptor. Without an id, every entry built
 * from the model is cleared.
 */
export type EntityEventPayload = object | EntityDescriptor;

/** Names a model, and optionally one entity of it. */
export interface EntityDescriptor {
  model: ModelRef;
  id?: string | number;
}

/**
 * @internal Emitted by an ORM integration before a write that commits on its own: each cache's
 * listener records what the write may invalidate, adding to `recorded` a promise of the records —
 * rejected when they could not be recorded (the write must not run then).
 */
export const RECORD_FIRST = 'nestjs-page-cache.record-first';

/** @internal Records written before a write (see {@link RECORD_FIRST}). */
export interface RecordedFirst {
  /** Delivers them: the write failed, or what it did is not known. */
  deliver(): Promise<unknown>;
  /** Drops them undelivered: the write's own events, emitted since, took their place. */
  settle(): Promise<unknown>;
}

/** @internal Payload of {@link RECORD_FIRST}. */
export interface RecordFirstRequest {
  targets: readonly { model: string; id?: string | number }[];
  recorded: Promise<RecordedFirst>[];
}

/**
 * Set (non-enumerable) on the payload of an event whose invalidation an outbox already delivered:
 * the cache's own listener does not run it again.
 */
export const DELIVERED = Symbol.for('nestjs-page-cache:delivered');

/** What an event asks to invalidate. */
export function describeEntity(payload: EntityEventPayload): EntityDescriptor {
  if (typeof payload !== 'object' || payload === null) {
    throw new TypeError(
      `Invalid entity event payload: ${String(payload)}. Expected an entity or { model, id? }.`,
    );
  }
  const record = payload as Record<string, unknown>;
  const isDescriptor =
    Object.getPrototypeOf(payload) === Object.prototype &&
    (typeof record.model === 'string' || typeof record.model === 'function');
  return {
    model: isDescriptor ? (record.model as ModelRef) : payload.constructor.name,
    id: idOf(record.id),
  };
}

function idOf(id: unknown): string | number | undefined {
  if (id === undefined || id === null) return undefined;
  if (typeof id === 'string' || typeof id === 'number') return id;
  if (typeof id === 'bigint') return id.toString();
  throw new TypeError(`Invalid entity id: ${String(id)}. Expected a string or a number.`);
}
