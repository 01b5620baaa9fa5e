import './instrumentation';
import { runHttpService } from '@vectorstack/platform';
import { AppModule } from './app.module';
import { INFERENCE_SERVICE } from './service.definition';

runHttpService(INFERENCE_SERVICE, AppModule);
