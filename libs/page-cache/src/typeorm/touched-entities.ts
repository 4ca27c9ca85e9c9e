import type { EntityMetadata, ObjectLiteral } from 'typeorm';
import type { EntityDescriptor } from '../invalidation/entity-events.js';
import { primaryKeyId } from '../invalidation/primary-key-id.js';

/**
 * The entities a row written by TypeORM stands for, as events name them: the entity and every
 * parent model with the same id (what was built from `Content` is cleared when an `Article`
 * changes); through a parent model, the child the instance is, else every child model; for a row of
 * a many-to-many join table, the entity at each end of the link (no page is built from the table).
 * `candidates` may hold the key (the entity, the database entity, a `remove`'s id), tried in order.
 */
export function touchedEntities(
  metadata: EntityMetadata,
  candidates: readonly unknown[],
): EntityDescriptor[] {
  if (metadata.isJunction) return linkedEntities(metadata, candidates);
  const id = idOf(metadata, candidates);
  return unique([...withParents(metadata, id), ...withChildren(metadata, id, candidates)]);
}

/**
 * The child models a row written through `metadata` may belong to: the instance's class when it is
 * one (TypeORM loads a child's row as that child), else every one.
 */
function withChildren(
  metadata: EntityMetadata,
  id: string | number | undefined,
  candidates: readonly unknown[],
): EntityDescriptor[] {
  const children = metadata.childEntityMetadatas.filter(child => child !== metadata);
  if (children.length === 0) return [];
  for (const candidate of candidates) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const own = children.find(child => child.target === candidate.constructor);
    if (own) return withParents(own, id);
  }
  return children.map(child => describe(child, id));
}

/** Each model once, in the order first named. */
function unique(named: readonly EntityDescriptor[]): EntityDescriptor[] {
  return [
    ...new Map(named.map(one => [`${String(one.model)}\u0000${one.id ?? ''}`, one])).values(),
  ];
}

function describe(metadata: EntityMetadata, id: string | number | undefined): EntityDescriptor {
  const payload: EntityDescriptor = { model: metadata.targetName || metadata.name };
  if (id !== undefined) payload.id = id;
  return payload;
}

/** The model and every model it inherits from, each with the same id. */
export function withParents(
  metadata: EntityMetadata,
  id: string | number | undefined,
): EntityDescriptor[] {
  const named: EntityDescriptor[] = [];
  for (
    let level: EntityMetadata | undefined = metadata;
    level;
    level = level.parentEntityMetadata
  ) {
    named.push(describe(level, id));
  }
  return named;
}

/** Both ends of a join table's row: each side's model, named by its key when the row holds it. */
function linkedEntities(
  junction: EntityMetadata,
  candidates: readonly unknown[],
): EntityDescriptor[] {
  const row = candidates.find(
    (candidate): candidate is ObjectLiteral => typeof candidate === 'object' && candidate !== null,
  );
  return [junction.ownerColumns, junction.inverseColumns].flatMap(columns => {
    const side = columns[0]?.referencedColumn?.entityMetadata;
    if (!side) return [];
    return withParents(side, row ? sideId(side, columns, row) : undefined);
  });
}

/** A column of an entity's table (TypeORM exports the class from its metadata folder only). */
type ColumnMetadata = EntityMetadata['primaryColumns'][number];

/** The key of one side of a link, read off the join table's columns that reference it. */
function sideId(
  side: EntityMetadata,
  columns: readonly ColumnMetadata[],
  row: ObjectLiteral,
): string | number | undefined {
  const values = side.primaryColumns.map(primary => {
    const column = columns.find(candidate => candidate.referencedColumn === primary);
    return column ? column.getEntityValue(row) : undefined;
  });
  return values.length > 0 ? primaryKeyId(values) : undefined;
}

/**
 * The primary key of the first candidate that has it whole (a key of several columns encoded as a
 * `@CacheKeyFrom` page names it); `undefined` (the whole model is cleared) when none has.
 */
function idOf(
  metadata: EntityMetadata,
  candidates: readonly unknown[],
): string | number | undefined {
  const columns = metadata.primaryColumns;
  if (columns.length === 0) return undefined;
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === null) continue;
    // `remove` by id: a scalar names a one-column key only.
    const values =
      typeof candidate === 'object'
        ? columns.map(column => column.getEntityValue(candidate as ObjectLiteral))
        : columns.length === 1
          ? [candidate]
          : [];
    const id = values.length > 0 ? primaryKeyId(values) : undefined;
    if (id !== undefined) return id;
  }
  return undefined;
}
