import { Injectable, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Post } from './post.entity.js';

/** The app's data access, through TypeORM (sql.js, in memory). */
@Injectable()
export class PostsService implements OnApplicationBootstrap {
  constructor(@InjectRepository(Post) private readonly repository: Repository<Post>) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.repository.save([
      { id: 1, title: 'First post' },
      { id: 2, title: 'Second post' },
    ]);
  }

  list(page: number): Promise<Post[]> {
    return this.repository.find({ order: { id: 'ASC' }, skip: (page - 1) * 10, take: 10 });
  }

  async find(id: string): Promise<Post> {
    const post = await this.repository.findOneBy({ id: Number(id) });
    if (!post) throw new NotFoundException(`No post ${id}`);
    return post;
  }

  latest(): Promise<Post[]> {
    return this.repository.find({ order: { id: 'DESC' }, take: 5 });
  }

  /** Saved through TypeORM: the subscriber emits ENTITY_SAVED, which clears the cached pages. */
  async update(id: string, changes: { title?: string }): Promise<Post> {
    const post = await this.find(id);
    if (changes.title !== undefined) post.title = changes.title;
    return this.repository.save(post);
  }
}
