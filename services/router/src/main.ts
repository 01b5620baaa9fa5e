import './instrumentation';
import { runHttpService } from '@vectorstack/platform';
import { AppModule } from './app.module';
import { ROUTER_SERVICE } from './service.definition';

runHttpService(ROUTER_SERVICE, AppModule);
