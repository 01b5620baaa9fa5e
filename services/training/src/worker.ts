import './instrumentation';
import { runWorker } from '@vectorstack/platform';
import { WorkerModule } from './worker/worker.module';
import { TRAINING_WORKER } from './worker.definition';

runWorker(TRAINING_WORKER, WorkerModule);
