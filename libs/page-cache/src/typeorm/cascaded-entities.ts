import type { EntityMetadata } from 'typeorm';
import { ENTITY_DELETED, ENTITY_SAVED } from '../invalidation/entity-events.js';
import type { OwedEvent } from '../invalidation/transaction-levels.js';

/**
 * What the database changes by itself when rows of `deleted` are deleted, as events name it: the
 * rows of every entity whose foreign key to `deleted`'s table is `ON DELETE CASCADE` are deleted
 * (and theirs in turn), those whose key is `SET NULL` / `SET DEFAULT` are changed. TypeORM sees
 * neither, and the query does not say which rows they were: each such model is named as a whole,
 * with its parent and child models (they share its table). A join table whose links go with the
 * row names the entity at its other end, as saved (it still exists) — unless `linksRemoved`: a
 * `remove()` of an entity deletes its own links first, and names them itself.
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
  const models = new Set<string>();
  for (
    let level: EntityMetadata | undefined = metadata;
    level;
    level = level.parentEntityMetadata
  ) {
    models.add(level.targetName || level.name);
  }
  for (const child of metadata.childEntityMetadatas) models.add(child.targetName || child.name);
  return [...models];
}
