import type { ModuleRef } from '@nestjs/core';
import type { OptionNames } from '../option-names.js';
import { parseTtl, type Ttl } from '../ttl.js';
import { DELIVERED } from './entity-events.js';
import { invalidationRecord, type JournalEntry } from './invalidation-journal.js';
import { OutboxDelivery } from './outbox-delivery.js';
import { registeredPipelines } from './registered-pipelines.js';
import type { SqlOutbox } from './sql-outbox.js';
import type { OwedEvent } from './transaction-levels.js';

/** Options of an ORM integration (`TypeOrmCacheInvalidation.withOptions()`, MikroORM's alike). */
export interface OrmInvalidationOptions {
  /**
   * Record every invalidation in an outbox table of your database, in the same transaction as
   * the change, so that it reaches the store even if this process dies before the store answers.
   * `false` keeps only the in-memory retry. Default `true`.
   */
  outbox?: boolean;
  /** Name of the outbox table. Default `page_cache_outbox`. */
  table?: string;
  /** How often any process delivers what the outbox holds (ms or `'1s'`). Default `'1s'`. */
  interval?: Ttl;
}

/** Every name {@link OrmInvalidationOptions} has (checked when an integration is built). */
export const ORM_INVALIDATION_OPTION_NAMES: OptionNames<OrmInvalidationOptions> = {
  outbox: true,
  table: true,
  interval: true,
};

/**
 * The outbox of the changes an ORM integration reports, the one shape of TypeORM's and MikroORM's:
 * records written in the change's own transaction, or before a statement that commits on its own,
 * and delivered after the commit by this process first; what it could not deliver stays recorded,
 * its models bypass the cache, and any process delivers it later (`OutboxDelivery`).
 */
export class ChangeOutbox<Transaction> {
  private outbox?: SqlOutbox<Transaction>;
  private delivery?: OutboxDelivery;

  /** Whether the outbox is on and started. */
  get enabled(): boolean {
    return this.delivery !== undefined;
  }

  /**
   * Creates the outbox table if needed and delivers what it holds — records a process left when it
   * died, or could not reach the store — before the app serves; then every `interval`.
   */
  async start(
    options: OrmInvalidationOptions,
    moduleRef: ModuleRef,
    outboxOf: (table: string | undefined) => SqlOutbox<Transaction>,
    integration: string,
  ): Promise<void> {
    if (options.outbox === false) return;
    this.outbox = outboxOf(options.table);
    await this.outbox.ensureTable();
    const intervalMs = parseTtl(options.interval ?? '1s', `${integration} option interval`);
    const delivery = new OutboxDelivery(this.outbox, registeredPipelines(moduleRef), intervalMs);
    await delivery.start();
    this.delivery = delivery;
  }

  stop(): void {
    this.delivery?.stop();
  }

  /** `owed`, each with its record when the outbox is on. */
  withRecords(owed: readonly OwedEvent[]): OwedEvent[] {
    if (!this.outbox) return [...owed];
    return owed.map(one => ({
      ...one,
      record: invalidationRecord(String(one.payload.model), one.payload.id),
    }));
  }

  /**
   * Writes the records of `owed` inside `transaction` (it commits with the change, or not at all;
   * without one, on their own). @returns `owed` with its records.
   */
  async recordIn(
    transaction: Transaction | undefined,
    owed: readonly OwedEvent[],
  ): Promise<OwedEvent[]> {
    const recorded = this.withRecords(owed);
    await this.outbox?.recordWith(
      transaction,
      recorded.flatMap(({ record }) => (record ? [record] : [])),
    );
    return recorded;
  }

  /** Records `models` as a whole before a statement that commits on its own (see `record`). */
  async recordFirst(models: Iterable<string>): Promise<JournalEntry[]> {
    const records = [...models].map(model => invalidationRecord(model, undefined));
    await this.delivery?.record(records);
    return this.delivery ? records : [];
  }

  /** After the commit: delivers the records, marking each payload so no listener runs it again. */
  async deliver(
    owed: readonly OwedEvent[],
    recordedFirst: readonly JournalEntry[] = [],
  ): Promise<void> {
    if (!this.delivery) return;
    const records = [...recordedFirst, ...owed.flatMap(({ record }) => (record ? [record] : []))];
    this.delivery.recorded(records);
    await this.delivery.deliver(records);
    for (const { payload } of owed) {
      Object.defineProperty(payload, DELIVERED, { value: true, enumerable: false });
    }
  }
}
