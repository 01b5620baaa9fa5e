import { Module } from '@nestjs/common';
import { LimiterModule } from '../limiter/limiter.module';
import { PlansController } from './plans.controller';
import { PlansService } from './plans.service';

@Module({ imports: [LimiterModule], controllers: [PlansController], providers: [PlansService] })
export class PlansModule {}
