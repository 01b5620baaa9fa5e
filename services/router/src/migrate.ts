import { runMigrations } from '@vectorstack/platform';
import { ROUTER_SERVICE } from './service.definition';

runMigrations(ROUTER_SERVICE);
