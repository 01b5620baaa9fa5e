import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** ApiKeyState records written in the transaction of the change, published to Kafka by the relay. */
@Entity({ name: 'key_state_outbox' })
export class KeyStateOutboxRecord {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  /** Binary ApiKeyState (hashes only, never a secret). */
  @Column({ type: 'bytea' })
  payload!: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
