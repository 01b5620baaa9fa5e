import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { METERING_OPTIONS, type MeteringOptions } from '../config/metering.config';
import { BUDGET_SWEEP_LOCK } from '../common/ledger-lock';
import { BudgetEvaluator } from './budget-evaluator';
import { BudgetStatusRelay } from './budget-status.relay';

/**
 * Re-evaluates every budget periodically, on one replica at a time: clears hard blocks when the
 * month rolls over (no usage event would trigger it) and picks up changes made elsewhere.
 */
@Injectable()
export class BudgetSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BudgetSweep');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly evaluator: BudgetEvaluator,
    private readonly relay: BudgetStatusRelay,
    @Inject(METERING_OPTIONS) private readonly options: MeteringOptions,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => void this.sweep().catch((error: unknown) => this.logger.warn(`budget sweep failed: ${String(error)}`));
    tick();
    this.timer = setInterval(tick, this.options.budgetSweepMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(now = new Date()): Promise<number> {
    const changed = await this.dataSource.transaction(async (manager) => {
      const [{ locked }] = (await manager.query('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [BUDGET_SWEEP_LOCK])) as Array<{ locked: boolean }>;
      return locked ? this.evaluator.evaluateAll(manager, now) : 0;
    });
    if (changed > 0) this.relay.kick();
    return changed;
  }
}
