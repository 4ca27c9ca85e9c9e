import { ENTITY_DELETED, ENTITY_SAVED } from '../invalidation/entity-events.js';
import type { OwedEvent } from '../invalidation/transaction-levels.js';

/** The part of a Prisma client's runtime data model (its DMMF) that names relation fields. */
export interface PrismaDataModel {
  models: Record<string, { fields: readonly { name: string; kind: string; type: string }[] }>;
}

/** Nested operations that only delete related rows. */
const DELETES = new Set(['delete', 'deleteMany']);

/**
 * What the nested writes of a `create`, `update` or `upsert` owe, at any depth: every related model
 * whose rows they create, update, delete, link or unlink, as a whole (the answer does not say which
 * rows) — by `ENTITY_DELETED` when only deleted from, else `ENTITY_SAVED`.
 */
export function nestedWriteEvents(
  model: string,
  operation: string,
  args: unknown,
  dataModel: PrismaDataModel | undefined,
): OwedEvent[] {
  if (!dataModel) return [];
  const touched = new Map<string, boolean>(); // model → only deleted from
  const visitData = (current: string, data: unknown): void => {
    for (const item of list(data)) {
      for (const field of dataModel.models[current]?.fields ?? []) {
        if (field.kind !== 'object') continue;
        const operations = item[field.name];
        if (isRecord(operations)) visitOperations(field.type, operations);
      }
    }
  };
  const visitOperations = (related: string, operations: Record<string, unknown>): void => {
    const names = Object.keys(operations);
    if (names.length === 0) return;
    const onlyDeletes = names.every(name => DELETES.has(name));
    touched.set(related, (touched.get(related) ?? true) && onlyDeletes);
    for (const item of list(operations.create)) visitData(related, item);
    for (const item of list(operations.connectOrCreate)) visitData(related, item.create);
    for (const item of list(operations.update)) visitData(related, updateData(item));
    for (const item of list(operations.upsert)) {
      visitData(related, item.create);
      visitData(related, item.update);
    }
  };
  const top = isRecord(args) ? args : {};
  if (operation === 'upsert') {
    visitData(model, top.create);
    visitData(model, top.update);
  } else if (operation === 'create' || operation === 'update') {
    visitData(model, top.data);
  }
  return [...touched].map(([related, deleted]) => ({
    event: deleted ? ENTITY_DELETED : ENTITY_SAVED,
    payload: { model: related },
  }));
}

/**
 * The data of a nested `update`: to-many ones are `{ where, data }`, a to-one one is its data
 * itself or `{ where?, data }`.
 */
function updateData(item: Record<string, unknown>): unknown {
  return isRecord(item.data) ? item.data : item;
}

function list(value: unknown): Record<string, unknown>[] {
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  return items.filter(isRecord);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
