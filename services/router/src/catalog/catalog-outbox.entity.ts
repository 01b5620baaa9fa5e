import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** ModelCatalogEntry records written in the transaction of the change, published to Kafka by the relay. */
@Entity({ name: 'model_catalog_outbox' })
export class CatalogOutboxRecord {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'model_id', type: 'text' })
  modelId!: string;

  /** Binary ModelCatalogEntry (credential references only); null is a tombstone (the entry was deleted). */
  @Column({ type: 'bytea', nullable: true })
  payload!: Buffer | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
