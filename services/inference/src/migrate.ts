import { runMigrations } from '@vectorstack/platform';
import { INFERENCE_SERVICE } from './service.definition';

runMigrations(INFERENCE_SERVICE);
