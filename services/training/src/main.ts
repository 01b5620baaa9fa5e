import './instrumentation';
import { runHttpService } from '@vectorstack/platform';
import { AppModule } from './app.module';
import { TRAINING_SERVICE } from './service.definition';

runHttpService(TRAINING_SERVICE, AppModule);
