import type { DataSource, QueryRunner } from 'typeorm';
import { OUTBOX_TABLE, SqlOutbox } from '../invalidation/sql-outbox.js';

/**
 * The transactional outbox of the TypeORM integration (`SqlOutbox` over the data source): records
 * are written through a query runner, inside its transaction when one is active.
 */
export class TypeOrmOutbox extends SqlOutbox<QueryRunner> {
  constructor(dataSource: DataSource, table = OUTBOX_TABLE) {
    super(
      (sql, values, runner) => {
        // `?` placeholders as the driver spells them ($1 on PostgreSQL).
        let n = 0;
        const named: Record<string, unknown> = {};
        const text = sql.replace(/\?/g, () => {
          named[`p${n}`] = values[n];
          return `:p${n++}`;
        });
        const [query, parameters] = dataSource.driver.escapeQueryWithParameters(text, named);
        return runner ? runner.query(query, parameters) : dataSource.query(query, parameters);
      },
      table,
      'TypeOrmCacheInvalidation.withOptions({ outbox: false })',
    );
  }
}
