import { Module } from '@nestjs/common';
import { BudgetsModule } from '../budgets/budgets.module';
import { PricingModule } from '../pricing/pricing.module';
import { LedgerWriter } from './ledger-writer';
import { PartitionManager } from './partition-manager';
import { UsageIngestConsumer } from './usage-ingest.consumer';

/** The usage ledger: ingestion from Kafka, raw events by month, rollups. */
@Module({
  imports: [PricingModule, BudgetsModule],
  providers: [PartitionManager, LedgerWriter, UsageIngestConsumer],
  exports: [PartitionManager],
})
export class LedgerModule {}
