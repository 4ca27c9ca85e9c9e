import { Cascade, ReferenceKind, type EntityMetadata, type MetadataStorage } from '@mikro-orm/core';
import { ENTITY_DELETED, ENTITY_SAVED } from '../invalidation/entity-events.js';
import type { OwedEvent } from '../invalidation/transaction-levels.js';
import { rowModels } from './inherited-models.js';

/**
 * What the database deletes (rule `cascade`, in turn) or changes (`set null` / `set default`) by
 * itself when rows of `deleted` go. MikroORM fires no event for them, nor says which rows: each
 * model is named as a whole, with the models sharing its table; a pivot table's links name the
 * entity at their other end as saved.
 */
export function cascadedModels(deleted: EntityMetadata, metadata: MetadataStorage): OwedEvent[] {
  const all = Object.values(metadata.getAll());
  const named = new Map<string, OwedEvent['event']>();
  const name = (meta: EntityMetadata, event: OwedEvent['event']): void => {
    for (const model of rowModels(meta, metadata)) {
      if (named.get(model) !== ENTITY_DELETED) named.set(model, event);
    }
  };
  const visited = new Set<string>();
  const visit = (table: EntityMetadata): void => {
    if (visited.has(tableOf(table))) return;
    visited.add(tableOf(table));
    for (const meta of all) {
      for (const prop of meta.relations ?? []) {
        const rule = deleteRuleOf(prop);
        if (!prop.targetMeta || tableOf(prop.targetMeta) !== tableOf(table)) continue;
        if (rule !== 'cascade' && rule !== 'set null' && rule !== 'set default') continue;
        if (meta.pivotTable) {
          // The links go; the entity at the other end of each stays, with one link fewer.
          for (const other of meta.relations) {
            if (other !== prop && other.targetMeta) name(other.targetMeta, ENTITY_SAVED);
          }
        } else if (rule === 'cascade') {
          name(meta, ENTITY_DELETED);
          visit(meta);
        } else {
          name(meta, ENTITY_SAVED);
        }
      }
    }
  };
  visit(deleted);
  return [...named].map(([model, event]) => ({ event, payload: { model } }));
}

type Relation = EntityMetadata['relations'][number];

/**
 * The delete rule of a relation's foreign key, as the schema generator writes it: `deleteRule`,
 * else `cascade` with `Cascade.REMOVE`, else `set null` when nullable.
 */
function deleteRuleOf(prop: Relation): string | undefined {
  const owning =
    prop.kind === ReferenceKind.MANY_TO_ONE ||
    (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner);
  if (!owning || prop.createForeignKeyConstraint === false) return undefined;
  const removes = prop.cascade?.some(
    cascade => cascade === Cascade.REMOVE || cascade === Cascade.ALL,
  );
  return (
    prop.deleteRule ?? (removes ? 'cascade' : prop.nullable ? 'set null' : undefined)
  )?.toLowerCase();
}

/** Single-table inheritance keeps every entity of a hierarchy in its root's table. */
function tableOf(meta: EntityMetadata): string {
  const root = meta.root ?? meta;
  return `${root.schema ?? ''}.${root.tableName ?? root.className}`;
}
