import { connect } from 'node:net';
/** Bad requests get 400/413 in the OpenAI shape with `param`, and write nothing (no key, no audit row, no outbox record). */
import { queryDatabase } from '@vectorstack/testing';
import { adminKey, call, createTenant, expectOpenAIError, serviceUrl } from '../testing/auth-api';

/** Rows belonging to the test's tenant (other suites write concurrently, so global counts would race). */
async function counts(tenantId: string) {
  const [row] = await queryDatabase<{ keys: string; audit: string; outbox: string; tenant: unknown }>(
    `SELECT (SELECT count(*) FROM auth.api_key WHERE tenant_id = $1) AS keys,
            (SELECT count(*) FROM auth.audit_event WHERE tenant_id = $1) AS audit,
            (SELECT count(*) FROM auth.key_state_outbox o JOIN auth.api_key k ON k.id = o.key_id WHERE k.tenant_id = $1) AS outbox,
            (SELECT row_to_json(t)::text FROM auth.tenant t WHERE t.id = $1) AS tenant`,
    [tenantId],
  );
  return row;
}


/**
 * Announces a body larger than the limit and sends only its first bytes: the server must
 * refuse from Content-Length alone. (Streaming all 11 MB races the server closing the
 * connection after its 413, and a reset can swallow the answer.)
 */
function postOversize(url: string, key: string, declaredBytes: number): Promise<{ status: number; body: any }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (raw += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, body] = raw.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, body: body ? JSON.parse(body) : undefined });
    });
    socket.write(
      `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${declaredBytes}\r\nConnection: close\r\n\r\n{"name":"`,
    );
    setTimeout(() => socket.destroy(new Error('no answer to an oversize request within 10 s')), 10_000).unref();
  });
}

describe('bad input', () => {
  let tenantId: string;
  const valid = () => ({ name: 'bad-input', tier: 'free', scopes: ['chat'], tenant_id: tenantId });

  beforeAll(async () => {
    tenantId = (await createTenant()).id;
  });

  const cases: Array<[string, () => Parameters<typeof call>[2], number, string, string | null]> = [
    ['malformed JSON', () => ({ rawBody: '{"name": "x",' }), 400, 'invalid_json', null],
    ['an unknown field', () => ({ body: { ...valid(), admin: true } }), 400, 'unknown_parameter', 'admin'],
    ['an invalid CIDR', () => ({ body: { ...valid(), ip_allowlist: ['300.1.1.1/33'] } }), 400, 'invalid_value', 'ip_allowlist[0]'],
    ['more CIDRs than the tier allows', () => ({ body: { ...valid(), ip_allowlist: ['10.0.0.0/8', '10.1.0.0/16'] } }), 400, 'too_many_ip_addresses', 'ip_allowlist'],
    ['an expiry in the past', () => ({ body: { ...valid(), expires_at: '2001-01-01T00:00:00Z' } }), 400, 'invalid_value', 'expires_at'],
    ['an expiry that is no timestamp', () => ({ body: { ...valid(), expires_at: 'soon' } }), 400, 'invalid_value', 'expires_at'],
    ['metadata over 4 KB', () => ({ body: { ...valid(), metadata: { blob: 'x'.repeat(5000) } } }), 400, 'invalid_value', 'metadata'],
    ['a missing field', () => ({ body: { name: 'x', scopes: ['chat'] } }), 400, 'missing_required_parameter', 'tier'],
    ['an unknown scope', () => ({ body: { ...valid(), scopes: ['root'] } }), 400, 'invalid_value', 'scopes[0]'],
    ['a body that is not an object', () => ({ rawBody: '[1,2]' }), 400, 'invalid_body', null],
  ];

  it.each(cases)('POST /v1/keys with %s → %i %s', async (_name, request, status, code, param) => {
    const before = await counts(tenantId);
    const res = await call('POST', '/v1/keys', { key: adminKey(), ...request() });
    expectOpenAIError(res, status, 'invalid_request_error', code, param);
    expect(await counts(tenantId)).toEqual(before);
  });

  it('answers a body over HTTP_BODY_LIMIT_BYTES with 413', async () => {
    const before = await counts(tenantId);
    const res = await postOversize(`${serviceUrl()}/v1/keys`, adminKey(), 11 * 1024 * 1024);
    expectOpenAIError(res, 413, 'invalid_request_error', 'payload_too_large');
    expect(await counts(tenantId)).toEqual(before);
  });

  it('validates PATCH, rotate, tenants and list queries the same way', async () => {
    const before = await counts(tenantId);
    const key = await call('GET', `/v1/keys?limit=1&tenant_id=${tenantId}`, { key: adminKey() });
    expect(key.status).toBe(200);
    const invalid = 'invalid_request_error';
    expectOpenAIError(await call('GET', '/v1/keys?limit=500', { key: adminKey() }), 400, invalid, 'invalid_value', 'limit');
    expectOpenAIError(await call('GET', '/v1/keys?colour=red', { key: adminKey() }), 400, invalid, 'unknown_parameter', 'colour');
    const name = `never-${Date.now()}`;
    expectOpenAIError(await call('POST', '/v1/tenants', { key: adminKey(), body: { name, plan: 'gold' } }), 400, invalid, 'unknown_parameter', 'plan');
    expect(await queryDatabase('SELECT 1 FROM auth.tenant WHERE name = $1', [name])).toEqual([]);
    const patch = await call('PATCH', `/v1/tenants/${tenantId}`, { key: adminKey(), body: { status: 'deleted' } });
    expectOpenAIError(patch, 400, invalid, 'invalid_value', 'status');
    const rotate = await call('POST', `/v1/keys/${key.body.data[0]?.id ?? '00000000-0000-4000-8000-000000000000'}/rotate`, {
      key: adminKey(),
      body: { grace_seconds: -1 },
    });
    expectOpenAIError(rotate, 400, invalid, 'invalid_value', 'grace_seconds');
    expect(await counts(tenantId)).toEqual(before);
  });

  it('answers a duplicate tenant name with 409 tenant_exists', async () => {
    const tenant = await call('GET', `/v1/tenants/${tenantId}`, { key: adminKey() });
    const res = await call('POST', '/v1/tenants', { key: adminKey(), body: { name: tenant.body.name } });
    expectOpenAIError(res, 409, 'invalid_request_error', 'tenant_exists', 'name');
  });
});
