import { Module } from '@nestjs/common';
import { LimiterModule } from '../limiter/limiter.module';
import { LimitsController } from './limits.controller';
import { LimitsService } from './limits.service';

/** Needs KeyStateCache, exported by the AuthGuardModule the platform wires into the service. */
@Module({ imports: [LimiterModule], controllers: [LimitsController], providers: [LimitsService] })
export class LimitsModule {}
