import { ENTITY_DELETED, ENTITY_SAVED } from '../invalidation/entity-events.js';
import type { OwedEvent } from '../invalidation/transaction-levels.js';

/** A relation field of a model, as the Prisma schema declares it. */
interface RelationField {
  name: string;
  /** The related model. */
  type: string;
  list: boolean;
  optional: boolean;
  /** `@relation("name")` / `@relation(name: "name")`. */
  relationName?: string;
  /** This side holds the foreign key (`@relation(fields: […], references: […])`). */
  holdsKey: boolean;
  onDelete?: string;
}

/** Each model's relation fields. */
export type PrismaRelations = Readonly<Record<string, readonly RelationField[]>>;

/**
 * Reads each model's relation fields from a Prisma schema (the generated client keeps the schema
 * it was generated from; its runtime data model says neither which side holds the key, nor the
 * referential actions, nor which fields are lists).
 */
export function parseRelations(schema: string): Record<string, RelationField[]> {
  const models = [...schema.matchAll(/^[ \t]*model[ \t]+(\w+)[ \t]*\{([\s\S]*?)^[ \t]*\}/gm)];
  const names = new Set(models.map(([, model]) => model));
  const relations: Record<string, RelationField[]> = {};
  for (const [, model, body] of models) {
    const fields: RelationField[] = [];
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!field || !names.has(field[2])) continue;
      const [, name, type, list, optional, rest] = field;
      const args = /@relation\s*\(([^)]*)\)/.exec(rest)?.[1] ?? '';
      const relationName = /^\s*(?:name\s*:\s*)?"([^"]*)"/.exec(args)?.[1];
      fields.push({
        name,
        type,
        list: list !== undefined,
        optional: optional !== undefined,
        relationName,
        holdsKey: /\bfields\s*:/.test(args),
        onDelete: /\bonDelete\s*:\s*(\w+)/.exec(args)?.[1],
      });
    }
    relations[model] = fields;
  }
  return relations;
}

/**
 * What the database deletes (`onDelete: Cascade`, in turn) or changes (`SetNull`, the default of an
 * optional relation, or `SetDefault`) by itself when rows of `model` go, each model as a whole (the
 * delete does not say which rows); an implicit many-to-many's links name the other end as saved.
 */
export function deletedWith(model: string, relations: PrismaRelations): OwedEvent[] {
  const named = new Map<string, OwedEvent['event']>();
  const name = (related: string, event: OwedEvent['event']): void => {
    if (named.get(related) !== ENTITY_DELETED) named.set(related, event);
  };
  const visited = new Set<string>();
  const visit = (deleted: string): void => {
    if (visited.has(deleted)) return;
    visited.add(deleted);
    for (const field of relations[deleted] ?? []) {
      if (field.list && !field.holdsKey && oppositeOf(deleted, field, relations)?.list) {
        name(field.type, ENTITY_SAVED);
      }
    }
    for (const [other, fields] of Object.entries(relations)) {
      for (const field of fields) {
        if (!field.holdsKey || field.type !== deleted) continue;
        const rule = field.onDelete ?? (field.optional ? 'SetNull' : 'Restrict');
        if (rule === 'Cascade') {
          name(other, ENTITY_DELETED);
          visit(other);
        } else if (rule === 'SetNull' || rule === 'SetDefault') {
          name(other, ENTITY_SAVED);
        }
      }
    }
  };
  visit(model);
  return [...named].map(([related, event]) => ({ event, payload: { model: related } }));
}

/** The field on the other side of a relation (the same relation name, pointing back). */
function oppositeOf(
  model: string,
  field: RelationField,
  relations: PrismaRelations,
): RelationField | undefined {
  return relations[field.type]?.find(
    other =>
      other.type === model &&
      other.relationName === field.relationName &&
      (field.type !== model || other.name !== field.name),
  );
}
