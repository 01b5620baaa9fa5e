import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiKeyGuard, RequireScopes } from '@vectorstack/auth-guard';
import { parseOrThrow } from '@vectorstack/http';
import { catalogError } from './catalog-errors';
import { CatalogStore } from './catalog-store.service';
import type { CatalogConfig } from './catalog.config';
import { CATALOG_CONFIG } from './catalog.tokens';
import { createModelBody, disableModelBody, MODEL_ID, replaceModelBody, specFromBody, specProblem, type ModelSpec } from './model.schemas';
import { adminModelView } from './model.view';

/** An id that cannot exist is as unknown as a missing one. */
function pathModelId(id: string): string {
  if (!MODEL_ID.test(id)) throw catalogError('model_not_found', `No model with id '${id}'.`);
  return id;
}

/** Enabling takes no fields; an empty object (or no body) is fine. */
const ENABLE_BODY = disableModelBody.omit({ message: true });

/** Routes whose body may be left out entirely. */
function optionalBody(body: unknown): unknown {
  return body === undefined || body === null || body === '' ? {} : body;
}

/** The catalog, managed by platform admins only (the `admin` scope). Reads come from Postgres, the source of truth. */
@Controller('v1/admin/models')
@UseGuards(ApiKeyGuard)
@RequireScopes('admin')
export class CatalogAdminController {
  constructor(
    private readonly store: CatalogStore,
    @Inject(CATALOG_CONFIG) private readonly config: CatalogConfig,
  ) {}

  @Get()
  async list() {
    return { object: 'list' as const, data: (await this.store.list()).map(adminModelView) };
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown) {
    const parsed = parseOrThrow(createModelBody, body);
    return adminModelView(await this.store.create(this.checked(specFromBody(parsed, parsed.id))));
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    return adminModelView(await this.store.get(pathModelId(id)));
  }

  @Put(':id')
  async replace(@Param('id') id: string, @Body() body: unknown) {
    const modelId = pathModelId(id);
    const parsed = parseOrThrow(replaceModelBody, body);
    if (parsed.id !== undefined && parsed.id !== modelId) {
      throw catalogError('invalid_value', `Invalid 'id': '${parsed.id}' does not match the path; an entry's id cannot change (create the new id, then delete this one).`, 'id');
    }
    return adminModelView(await this.store.replace(this.checked(specFromBody(parsed, modelId)), parsed.version));
  }

  @Delete(':id')
  @HttpCode(200)
  async remove(@Param('id') id: string) {
    const modelId = pathModelId(id);
    await this.store.remove(modelId);
    return { id: modelId, object: 'model' as const, deleted: true };
  }

  @Post(':id/disable')
  @HttpCode(200)
  async disable(@Param('id') id: string, @Body() body: unknown) {
    const modelId = pathModelId(id);
    const { message } = parseOrThrow(disableModelBody, optionalBody(body));
    return adminModelView(await this.store.setDisabled(modelId, true, message ?? null));
  }

  @Post(':id/enable')
  @HttpCode(200)
  async enable(@Param('id') id: string, @Body() body: unknown) {
    const modelId = pathModelId(id);
    parseOrThrow(ENABLE_BODY, optionalBody(body));
    return adminModelView(await this.store.setDisabled(modelId, false, null));
  }

  private checked(spec: ModelSpec): ModelSpec {
    const problem = specProblem(spec, { fileDirs: this.config.ROUTER_CREDENTIAL_DIRS });
    if (problem) throw catalogError(problem.code, `Invalid '${problem.param}': ${problem.message}`, problem.param);
    return spec;
  }
}
