import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { paginationShape } from '../common/pagination';
import { parseQuery, uuidSchema } from '../common/request-parsing';
import { AllowOverBudget, ApiKeyGuard, CurrentPrincipal, RequireScopes } from '@vectorstack/auth-guard';
import { isPlatformAdmin, type RequestPrincipal } from '../principal/principal';
import { AuditService } from './audit.service';

export const listAuditQuery = z.object({ ...paginationShape, tenant_id: uuidSchema.optional() }).strict();

@Controller('v1/audit')
@UseGuards(ApiKeyGuard)
@AllowOverBudget() // managing and reading, not spending: open to a key over its hard budget
@RequireScopes('admin', 'keys:manage')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  /** Platform admins see every tenant (optionally one); a tenant admin only its own tenant. */
  @Get()
  async list(@CurrentPrincipal() principal: RequestPrincipal, @Query() rawQuery: unknown) {
    const query = parseQuery(listAuditQuery, rawQuery);
    const tenantId = isPlatformAdmin(principal) ? query.tenant_id : principal.tenantId;
    return this.audit.list({ tenantId, limit: query.limit, after: query.after });
  }
}
