import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A person who writes posts. */
@Entity()
export class Author {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;
}
