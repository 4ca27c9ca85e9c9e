import { EntityManager, type EntityName, type Transaction } from '@mikro-orm/core';

/**
 * A subscriber told of the writes MikroORM broadcasts no entity event for, before each runs; what
 * it returns, if anything, is called once the write succeeded.
 */
export interface NativeWriteListener {
  [NATIVE_WRITE](
    em: EntityManager,
    entityName: EntityName<object>,
    write: NativeWrite,
    ctx?: Transaction,
  ): Promise<(() => Promise<void>) | void>;
}

/** The `EntityManager` methods that write rows without a change set, hence without entity events. */
export type NativeWrite = (typeof NATIVE_WRITES)[number];

/** The method a {@link NativeWriteListener} is called by. */
export const NATIVE_WRITE = Symbol.for('nestjs-page-cache:mikro-orm-native-write');

const HOOKED = Symbol.for('nestjs-page-cache:mikro-orm-native-writes-hooked');
const NATIVE_WRITES = ['nativeUpdate', 'nativeDelete', 'insert', 'insertMany'] as const;

type Writer = (this: EntityManager, ...args: unknown[]) => Promise<unknown>;

/**
 * Makes the native writes tell the writing `EntityManager`'s subscribers that a model changed:
 * MikroORM fires no entity event for them, and has no other hook that sees them. Wrapped once on
 * `EntityManager.prototype`, as every fork is a new instance of it.
 */
export function hookNativeWrites(): void {
  const prototype = EntityManager.prototype as unknown as Record<string | symbol, unknown>;
  if (prototype[HOOKED]) return;
  prototype[HOOKED] = true;
  for (const name of NATIVE_WRITES) {
    const write = prototype[name] as Writer;
    // The options argument is last: (name, where, data, options) or (name, where, options).
    const optionsAt = name === 'nativeUpdate' ? 3 : 2;
    prototype[name] = async function (this: EntityManager, ...args: unknown[]): Promise<unknown> {
      const listeners = [...this.getEventManager().getSubscribers()].filter(
        (subscriber): subscriber is NativeWriteListener & typeof subscriber =>
          typeof (subscriber as Partial<NativeWriteListener>)[NATIVE_WRITE] === 'function',
      );
      const entityName = listeners.length === 0 ? undefined : entityNameOf(name, args);
      if (entityName === undefined) return write.apply(this, args);
      const options = args[optionsAt] as { ctx?: Transaction } | undefined;
      const after: (() => Promise<void>)[] = [];
      for (const listener of listeners) {
        const then = await listener[NATIVE_WRITE](this, entityName, name, options?.ctx);
        if (then) after.push(then);
      }
      const result = await write.apply(this, args);
      for (const then of after) await then();
      return result;
    };
  }
}

/** `insert(entity)` / `insertMany([entities])` name the model by the entity's class. */
function entityNameOf(method: NativeWrite, args: unknown[]): EntityName<object> | undefined {
  const [first, data] = args;
  if ((method === 'insert' || method === 'insertMany') && data === undefined) {
    const entity = Array.isArray(first) ? first[0] : first;
    return typeof entity === 'object' && entity !== null
      ? (entity.constructor as EntityName<object>)
      : undefined;
  }
  return first as EntityName<object>;
}
