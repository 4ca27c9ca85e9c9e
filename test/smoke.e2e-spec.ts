import { Controller, Get, Module, Param, Query } from '@nestjs/common';
import { CacheKeyFrom, CacheModule, CachePage, VaryOn } from 'nestjs-page-cache';
import { ADAPTERS, startApp, type RunningApp } from './support/http-app.js';
import { redisUrl, uniquePrefix } from './support/redis.js';

let renders = 0;

@Controller('posts')
class PostsController {
  @Get()
  @CachePage('1m')
  @VaryOn('accept-language')
  list(@Query('page') page = '1') {
    renders += 1;
    return { page, rows: Array.from({ length: 3 }, (_, i) => ({ id: i, t: 'é' })) };
  }

  @Get(':id')
  @CachePage()
  @CacheKeyFrom({ model: 'Post', id: 'id' })
  show(@Param('id') id: string) {
    renders += 1;
    return `post ${id}`;
  }
}

@Module({
  imports: [CacheModule.forRoot({ redis: redisUrl(), keyPrefix: uniquePrefix('smoke') })],
  controllers: [PostsController],
})
class AppModule {}

describe.each(ADAPTERS)('smoke on %s', adapter => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(adapter, AppModule);
  });
  afterAll(() => app.close());

  it('misses then hits with identical bytes', async () => {
    renders = 0;
    const first = await app.get('/posts?page=2');
    const firstBody = Buffer.from(await first.arrayBuffer());
    expect(first.headers.get('x-cache')).toBe('MISS');
    const second = await app.get('/posts?page=2');
    const secondBody = Buffer.from(await second.arrayBuffer());
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.status).toBe(200);
    expect(secondBody.equals(firstBody)).toBe(true);
    expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(renders).toBe(1);
    const notModified = await app.get('/posts?page=2', {
      headers: { 'if-none-match': second.headers.get('etag')! },
    });
    expect(notModified.status).toBe(304);
    const head = await app.get('/posts?page=2', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-cache')).toBe('HIT');
    const detail1 = await app.get('/posts/7');
    const detail2 = await app.get('/posts/7');
    expect(await detail2.text()).toBe('post 7');
    expect(detail1.headers.get('x-cache')).toBe('MISS');
    expect(detail2.headers.get('x-cache')).toBe('HIT');
  });
});
