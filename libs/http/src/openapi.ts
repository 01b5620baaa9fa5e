/**
 * The parts every service's OpenAPI document shares: how a key is presented (the guard reads all
 * three) and the OpenAI error shape.
 */
export const openApiKeySecurity = [{ bearer: [] }, { apiKey: [] }, { myApiKey: [] }];

export const openApiKeySecuritySchemes = {
  bearer: { type: 'http', scheme: 'bearer' },
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  myApiKey: { type: 'apiKey', in: 'header', name: 'X-My-API-Key' },
};

export const openApiErrorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: ['string', 'null'] } },
    },
  },
};
