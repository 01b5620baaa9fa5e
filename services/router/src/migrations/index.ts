// Migrations of the `router` schema, oldest first. The schema itself is created by
// @vectorstack/database before these run; tables arrive with the service's capabilities.
import { ModelCatalog1768003200000 } from './1768003200000-model-catalog';
import { UsageSpool1768089600000 } from './1768089600000-usage-spool';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const migrations: Function[] = [ModelCatalog1768003200000, UsageSpool1768089600000];
