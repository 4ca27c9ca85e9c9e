import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Render } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CacheKeyFrom, CachePage, ENTITY_SAVED, VaryOn } from 'nestjs-page-cache';
import { Post as PostEntity } from './post.entity.js';
import { PostsService } from './posts.service.js';

/** The README's page caching example, as a user would write it. */
@Controller('posts')
export class PostsController {
  constructor(
    private readonly posts: PostsService,
    private readonly events: EventEmitter2,
  ) {}

  @Get()
  @CachePage({ ttl: 0, query: ['page'] })
  @VaryOn('accept-language')
  @CacheKeyFrom(PostEntity)
  list(@Query('page') page = '1') {
    return this.posts.list(Number(page));
  }

  @Get('feed')
  @CachePage()
  @Render('feed')
  async feed() {
    return { posts: await this.posts.latest() };
  }

  @Get(':id')
  @CachePage('1h')
  @CacheKeyFrom({ model: PostEntity, id: 'id' })
  show(@Param('id') id: string) {
    return this.posts.find(id);
  }

  @Put(':id')
  update(@Param('id') id: string, @Body() body: { title?: string }) {
    return this.posts.update(id, body);
  }

  /** An invalidation sent as an event, as an app without TypeORM would. */
  @Post(':id/saved')
  @HttpCode(204)
  async saved(@Param('id') id: string): Promise<void> {
    await this.events.emitAsync(ENTITY_SAVED, { model: 'Post', id });
  }
}
