import { runMigrations } from '@vectorstack/platform';
import { AUTH_SERVICE } from './service.definition';

runMigrations(AUTH_SERVICE);
