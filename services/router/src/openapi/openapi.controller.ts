import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

/** Public documentation of the model routes, under the admin prefix so the ingress routes it here. */
@Controller()
export class CatalogOpenApiController {
  private readonly document = buildOpenApiDocument();

  @Get('v1/admin/models/openapi.json')
  get() {
    return this.document;
  }
}
