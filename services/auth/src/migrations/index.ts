// Migrations of the `auth` schema, oldest first. The schema itself is created by
// @vectorstack/database before these run.
import { TenantsKeysAuditOutbox1767225600000 } from './1767225600000-tenants-keys-audit-outbox';
import { KeyStateOutboxPruning1767312000000 } from './1767312000000-key-state-outbox-pruning';
import { BudgetBlocks1767398400000 } from './1767398400000-budget-blocks';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [TenantsKeysAuditOutbox1767225600000, KeyStateOutboxPruning1767312000000, BudgetBlocks1767398400000];
