import { Module } from '@nestjs/common';
import { UsageController } from './usage.controller';
import { UsageService } from './usage.service';

/** The usage API: totals and series over the rollups, CSV export. */
@Module({ controllers: [UsageController], providers: [UsageService] })
export class UsageModule {}
