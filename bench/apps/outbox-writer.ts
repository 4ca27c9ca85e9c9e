// The app of the outbox scenario, in the runner's process: TypeORM on an in-memory SQLite
// database, the cache on the run's Redis, and the TypeORM integration with or without its outbox.
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule, getRepositoryToken } from '@nestjs/typeorm';
import { CacheModule } from 'nestjs-page-cache';
import { TypeOrmCacheInvalidation } from 'nestjs-page-cache/typeorm';
import { Column, Entity, PrimaryColumn, type Repository } from 'typeorm';

@Entity()
class Row {
  @PrimaryColumn()
  id!: number;

  @Column()
  title!: string;
}

/** A writer: `save(i)` saves row `i % 100` in its own transaction (TypeORM's default). */
export interface Writer {
  save(i: number): Promise<unknown>;
  close(): Promise<void>;
}

export async function startWriter(
  outbox: boolean,
  redisUrl: string,
  keyPrefix: string,
): Promise<Writer> {
  @Module({
    imports: [
      EventEmitterModule.forRoot(),
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: [Row],
        synchronize: true,
      }),
      TypeOrmModule.forFeature([Row]),
      CacheModule.forRoot({ redis: redisUrl, keyPrefix }),
    ],
    providers: TypeOrmCacheInvalidation.withOptions({ outbox }),
  })
  class WriterModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(WriterModule, {
    logger: ['error'],
  });
  const rows = app.get<Repository<Row>>(getRepositoryToken(Row));
  return {
    save: i => rows.save({ id: i % 100, title: `title ${i}` }),
    close: () => app.close(),
  };
}
