import { Module } from '@nestjs/common';
import { BudgetEvaluator } from './budget-evaluator';
import { BudgetStatusRelay } from './budget-status.relay';
import { BudgetSweeper } from './budget-sweeper';
import { BudgetsController } from './budgets.controller';
import { BudgetsService } from './budgets.service';

/** Monthly budgets per key and per tenant, their evaluation and the compacted budget-status topic. */
@Module({
  controllers: [BudgetsController],
  providers: [BudgetEvaluator, BudgetStatusRelay, BudgetSweeper, BudgetsService],
  exports: [BudgetEvaluator, BudgetStatusRelay],
})
export class BudgetsModule {}
