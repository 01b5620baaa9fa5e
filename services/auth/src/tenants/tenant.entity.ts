import { Column, Entity, PrimaryColumn } from 'typeorm';

export type TenantStatus = 'active' | 'disabled';

@Entity({ name: 'tenant' })
export class Tenant {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  status!: TenantStatus;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
