import { runMigrations } from '@vectorstack/platform';
import { DATA_SERVICE } from './service.definition';

runMigrations(DATA_SERVICE);
