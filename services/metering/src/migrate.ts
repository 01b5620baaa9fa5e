import { runMigrations } from '@vectorstack/platform';
import { METERING_SERVICE } from './service.definition';

runMigrations(METERING_SERVICE);
