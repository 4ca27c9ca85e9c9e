import {
  Column,
  Entity,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { Author } from './author.entity.js';

/** A blog post. Its author is loaded with it by every `find*` call. */
@Entity()
export class Post {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'text' })
  body: string;

  @ManyToOne(() => Author, { eager: true, nullable: false, onDelete: 'CASCADE' })
  author: Relation<Author>;

  @UpdateDateColumn()
  updatedAt: Date;
}
