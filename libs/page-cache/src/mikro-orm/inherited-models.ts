import type { EntityMetadata, MetadataStorage } from '@mikro-orm/core';

/**
 * An entity's class name and, for a child entity of single-table inheritance, the name of every
 * entity it extends up to its root: its row is also a row of each of them, so what was built from
 * the parent model (a list of every `Content`, `Article`s included) depends on it too.
 */
export function inheritedModels(meta: EntityMetadata, metadata: MetadataStorage): string[] {
  const names = [meta.className];
  for (let level = parentOf(meta, metadata); level; level = parentOf(level, metadata)) {
    if (names.includes(level.className)) break;
    names.push(level.className);
  }
  if (meta.root && !names.includes(meta.root.className)) names.push(meta.root.className);
  return names;
}

function parentOf(meta: EntityMetadata, metadata: MetadataStorage): EntityMetadata | undefined {
  return meta.extends ? metadata.find(meta.extends) : undefined;
}

/**
 * The models a row written through `meta` without an entity may belong to: {@link inheritedModels}
 * and every entity extending `meta` — `nativeUpdate(Content, …)` changes `Article` rows too.
 */
export function rowModels(meta: EntityMetadata, metadata: MetadataStorage): string[] {
  const names = inheritedModels(meta, metadata);
  for (const other of Object.values(metadata.getAll())) {
    if (names.includes(other.className)) continue;
    if (inheritedModels(other, metadata).includes(meta.className)) names.push(other.className);
  }
  return names;
}
