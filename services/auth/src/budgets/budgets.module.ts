import { Module } from '@nestjs/common';
import { BudgetStatusConsumer } from './budget-status.consumer';

/** Hard budget blocks from the metering service, applied to the keys' published states. */
@Module({ providers: [BudgetStatusConsumer] })
export class BudgetsModule {}
