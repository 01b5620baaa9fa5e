import { Module } from '@nestjs/common';
import { CatalogPriceFollower } from './catalog-price.follower';
import { PriceHistory } from './price-history.service';

/** Prices per model over time, from the router's catalog topic. Needs KafkaModule and the database (PlatformModule). */
@Module({ providers: [PriceHistory, CatalogPriceFollower], exports: [PriceHistory, CatalogPriceFollower] })
export class PricingModule {}
