import { CatalogOutboxRecord } from './catalog/catalog-outbox.entity';
import { ModelDeploymentRecord, ModelEntryRecord } from './catalog/model-entry.entity';

export const entities = [ModelEntryRecord, ModelDeploymentRecord, CatalogOutboxRecord];
