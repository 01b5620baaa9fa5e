import { Module } from '@nestjs/common';
import { LimiterModule } from '../limiter/limiter.module';
import { ReconciliationConsumer } from './reconciliation.consumer';

/** Needs KafkaModule (PlatformModule provides it: the service definition uses Kafka). */
@Module({ imports: [LimiterModule], providers: [ReconciliationConsumer] })
export class ReconciliationModule {}
