import { Controller, Get, Module } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

/** Public documentation; also under /v1/keys so it is reachable through the ingress prefix. */
@Controller()
export class OpenApiController {
  private readonly document = buildOpenApiDocument();

  @Get(['openapi.json', 'v1/keys/openapi.json'])
  get() {
    return this.document;
  }
}

@Module({ controllers: [OpenApiController] })
export class OpenApiModule {}
