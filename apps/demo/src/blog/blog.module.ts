import { Module } from '@nestjs/common';
import { BlogService } from './blog.service.js';
import { HomeController } from './home.controller.js';
import { PostsController } from './posts.controller.js';
import { SeedService } from './seed.service.js';

/**
 * Posts and authors: the JSON API, the HTML front page and the seed data, over the `BlogStore` of
 * the ORM the app was started with.
 */
@Module({
  controllers: [HomeController, PostsController],
  providers: [BlogService, SeedService],
})
export class BlogModule {}
