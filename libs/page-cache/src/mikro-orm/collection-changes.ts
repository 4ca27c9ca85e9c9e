import {
  helper,
  type Collection,
  type EntityMetadata,
  type MetadataStorage,
  type UnitOfWork,
} from '@mikro-orm/core';
import type { EntityDescriptor } from '../invalidation/entity-events.js';
import { primaryKeyId } from '../invalidation/primary-key-id.js';
import { inheritedModels } from './inherited-models.js';

/**
 * A collection change of one flush, read before it writes; items are named once written, when an
 * item created by the same flush has its key.
 */
export interface CollectionChange {
  /** The collection's owner, unless its own change set already names it. */
  owner?: object;
  /** Items added or removed; `undefined` when they cannot be known (a collection never loaded). */
  items?: object[];
  /** The model on the other side, named as a whole when the items are unknown. */
  target?: EntityMetadata;
}

/** What the flush about to run changes in collections (`onFlush`, after change sets are computed). */
export function collectionChangesOf(uow: UnitOfWork): CollectionChange[] {
  const withChangeSet = new Set(uow.getChangeSets().map(changeSet => changeSet.entity as object));
  return uow.getCollectionUpdates().map((collection: Collection<object>) => ({
    owner: withChangeSet.has(collection.owner) ? undefined : collection.owner,
    items: changedItems(collection),
    target: collection.property.targetMeta,
  }));
}

/** The entities (and models) the changes name, keys read now that the flush wrote them. */
export function describeCollectionChanges(
  changes: readonly CollectionChange[],
  metadata: MetadataStorage,
): EntityDescriptor[] {
  const named = new Map<string, EntityDescriptor>();
  const add = (payload: EntityDescriptor): void => {
    named.set(`${String(payload.model)}\u0000${payload.id ?? ''}`, payload);
  };
  for (const { owner, items, target } of changes) {
    for (const entity of [...(owner ? [owner] : []), ...(items ?? [])]) {
      for (const payload of describeEntity(entity, metadata)) add(payload);
    }
    if (items === undefined && target) {
      for (const model of inheritedModels(target, metadata)) add({ model });
    }
  }
  return [...named.values()];
}

/** Items in the collection now and not before, or before and not now. */
function changedItems(collection: Collection<object>): object[] | undefined {
  if (!collection.isInitialized()) return undefined;
  const before = new Set(collection.getSnapshot() ?? []);
  const now = new Set(collection.getItems(false));
  return [
    ...[...now].filter(item => !before.has(item)),
    ...[...before].filter(item => !now.has(item)),
  ];
}

/** An entity by its class name (and inherited models) and key; its models alone without a key. */
function describeEntity(entity: object, metadata: MetadataStorage): EntityDescriptor[] {
  const wrapped = helper(entity);
  const id = primaryKeyId(wrapped.getPrimaryKeys() ?? []);
  return inheritedModels(wrapped.__meta, metadata).map(model =>
    id === undefined ? { model } : { model, id },
  );
}
