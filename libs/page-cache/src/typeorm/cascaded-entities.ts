import type { EntityMetadata } from 'typeorm';
import { ENTITY_DELETED, ENTITY_SAVED } from '../invalidation/entity-events.js';
import type { OwedEvent } from '../invalidation/transaction-levels.js';
import { withParents } from './touched-entities.js';

/**
 * What the database deletes (`ON DELETE CASCADE`, in turn) or changes (`SET NULL` / `SET DEFAULT`)
 * by itself when rows of `deleted` go. TypeORM sees neither, nor which rows: each model is named
 * as a whole, with the models sharing its table. A join table's links name the entity at their
 * other end as saved — unless `linksRemoved` (`remove()` deletes and names its own links first).
 */
export function cascadedEntities(deleted: EntityMetadata, linksRemoved = false): OwedEvent[] {
  const all = deleted.connection.entityMetadatas;
  const named = new Map<string, OwedEvent['event']>();
  const name = (metadata: EntityMetadata, event: OwedEvent['event']): void => {
    for (const model of rowModels(metadata)) {
      if (named.get(model) !== ENTITY_DELETED) named.set(model, event);
    }
  };
  const visited = new Set<string>();
  const visit = (table: EntityMetadata, top: boolean): void => {
    if (visited.has(table.tablePath)) return;
    visited.add(table.tablePath);
    for (const metadata of all) {
      for (const key of metadata.foreignKeys) {
        if (key.referencedEntityMetadata.tablePath !== table.tablePath) continue;
        const rule = key.onDelete?.toUpperCase();
        if (rule !== 'CASCADE' && rule !== 'SET NULL' && rule !== 'SET DEFAULT') continue;
        if (metadata.isJunction) {
          if (top && linksRemoved) continue;
          // The links go; the entity at the other end of each stays, with one link fewer.
          for (const other of metadata.foreignKeys) {
            if (other !== key) name(other.referencedEntityMetadata, ENTITY_SAVED);
          }
        } else if (rule === 'CASCADE') {
          name(metadata, ENTITY_DELETED);
          visit(metadata, false);
        } else {
          name(metadata, ENTITY_SAVED);
        }
      }
    }
  };
  visit(deleted, true);
  return [...named].map(([model, event]) => ({ event, payload: { model } }));
}

/** The models a row of `metadata`'s table may belong to: its own, its parents' and children's. */
function rowModels(metadata: EntityMetadata): string[] {
  const models = withParents(metadata, undefined).map(({ model }) => String(model));
  for (const child of metadata.childEntityMetadatas) models.push(child.targetName || child.name);
  return [...new Set(models)];
}
