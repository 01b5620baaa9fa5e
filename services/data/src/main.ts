import './instrumentation';
import { runHttpService } from '@vectorstack/platform';
import { AppModule } from './app.module';
import { DATA_SERVICE } from './service.definition';

runHttpService(DATA_SERVICE, AppModule);
