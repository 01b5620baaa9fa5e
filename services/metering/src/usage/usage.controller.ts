import { Readable } from 'node:stream';
import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { AllowOverBudget, ApiKeyGuard, CurrentPrincipal, RequireScopes, type AuthenticatedPrincipal } from '@vectorstack/auth-guard';
import { parseOrThrow } from '@vectorstack/http';
import type { FastifyReply } from 'fastify';
import { exportQuery, usageQuery } from './usage.schemas';
import { UsageService } from './usage.service';

/** Usage of the caller's tenant (a platform admin: any tenant, or all of them). Scope usage:read. */
@Controller('v1/usage')
@UseGuards(ApiKeyGuard)
@AllowOverBudget() // managing and reading, not spending: open to a key over its hard budget
@RequireScopes('usage:read')
export class UsageController {
  constructor(private readonly usageService: UsageService) {}

  @Get()
  usage(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Query() query: unknown) {
    return this.usageService.usage(principal, parseOrThrow(usageQuery, query ?? {}));
  }

  /** CSV, streamed: hourly rows per key and model (rows=hourly, default) or the raw events of one tenant (rows=events). */
  @Get('export')
  export(@CurrentPrincipal() principal: AuthenticatedPrincipal, @Query() query: unknown, @Res() reply: FastifyReply) {
    const prepared = this.usageService.prepareExport(principal, parseOrThrow(exportQuery, query ?? {}));
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${prepared.filename}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(prepared.lines()));
  }
}
