import './instrumentation';
import { runHttpService } from '@vectorstack/platform';
import { AppModule } from './app.module';
import { METERING_SERVICE } from './service.definition';

runHttpService(METERING_SERVICE, AppModule);
