// Migrations of the `metering` schema, oldest first. The schema itself is created by
// @vectorstack/database before these run.
import { UsageLedger1769040000000 } from './1769040000000-usage-ledger';
import { ModelRollups1769126400000 } from './1769126400000-model-rollups';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [UsageLedger1769040000000, ModelRollups1769126400000];
