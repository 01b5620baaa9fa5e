import { Module } from '@nestjs/common';
import { LimiterModule } from '../limiter/limiter.module';
import { CheckGrpcService } from './check.grpc';

@Module({ imports: [LimiterModule], providers: [CheckGrpcService] })
export class CheckModule {}
