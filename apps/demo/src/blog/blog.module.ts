import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Author } from './author.entity.js';
import { BlogService } from './blog.service.js';
import { HomeController } from './home.controller.js';
import { Post } from './post.entity.js';
import { PostsController } from './posts.controller.js';
import { SeedService } from './seed.service.js';

/** Posts and authors: the JSON API, the HTML front page and the seed data. */
@Module({
  imports: [TypeOrmModule.forFeature([Author, Post])],
  controllers: [HomeController, PostsController],
  providers: [BlogService, SeedService],
})
export class BlogModule {}
