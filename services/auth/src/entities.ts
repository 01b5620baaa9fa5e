import { AuditEvent } from './audit/audit-event.entity';
import { KeyStateOutboxRecord } from './key-state/key-state-outbox.entity';
import { ApiKey } from './keys/api-key.entity';
import { Tenant } from './tenants/tenant.entity';

export const entities = [Tenant, ApiKey, AuditEvent, KeyStateOutboxRecord];
