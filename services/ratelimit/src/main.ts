import './instrumentation';
import { runHttpService } from '@vectorstack/platform';
import { AppModule } from './app.module';
import { RATELIMIT_SERVICE } from './service.definition';

runHttpService(RATELIMIT_SERVICE, AppModule);
