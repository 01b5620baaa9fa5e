import { runMigrations } from '@vectorstack/platform';
import { TRAINING_SERVICE } from './service.definition';

runMigrations(TRAINING_SERVICE);
