import { Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CacheModule } from 'nestjs-page-cache';
import { TypeOrmCacheInvalidation } from 'nestjs-page-cache/typeorm';
import { Post } from './post.entity.js';
import { PostsController } from './posts.controller.js';
import { PostsService } from './posts.service.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'sqljs', entities: [Post], synchronize: true }),
    TypeOrmModule.forFeature([Post]),
    EventEmitterModule.forRoot(),
    CacheModule.forRoot({
      redis: process.env.REDIS_URL,
      keyPrefix: process.env.KEY_PREFIX ?? 'consumer',
      isGlobal: true,
    }),
  ],
  controllers: [PostsController],
  providers: [PostsService, TypeOrmCacheInvalidation],
})
export class AppModule {}
