import './instrumentation';
import { runHttpService } from '@vectorstack/platform';
import { AppModule } from './app.module';
import { AUTH_SERVICE } from './service.definition';

runHttpService(AUTH_SERVICE, AppModule);
