import { UsageRecordedSchema } from '@vectorstack/contracts';
import { buildDeadLetterHeaders, buildRecordHeaders, contentTypeMatches, decodeHeaders, describeError, KafkaHeaders, protobufContentType } from './headers';

const schema = UsageRecordedSchema;

describe('record headers', () => {
  it('carries event id, trace, content type, time and producer; standard headers win over caller ones', () => {
    const headers = buildRecordHeaders({
      eventId: 'e-1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      schema,
      producer: 'router',
      producedAt: new Date('2025-01-02T03:04:05.000Z'),
      extra: { 'x-tenant': 't1', 'event-id': 'spoofed', tracestate: 'stale' },
    });
    expect(headers).toEqual({
      'x-tenant': 't1',
      'event-id': 'e-1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'content-type': 'application/x-protobuf; messageType=vectorstack.usage.v1.UsageRecorded',
      'produced-at': '2025-01-02T03:04:05.000Z',
      producer: 'router',
    });
  });

  it('decodes kafkajs buffers, strings and repeated headers', () => {
    expect(decodeHeaders({ 'Event-Id': Buffer.from('e-1'), a: 'x', b: [Buffer.from('1'), Buffer.from('2')], c: undefined })).toEqual({
      'event-id': 'e-1',
      a: 'x',
      b: '2',
    });
  });
});

describe('contentTypeMatches', () => {
  it('accepts our own content type and a missing header', () => {
    expect(contentTypeMatches(protobufContentType(schema), schema)).toBe(true);
    expect(contentTypeMatches('application/x-protobuf', schema)).toBe(true);
    expect(contentTypeMatches(undefined, schema)).toBe(true);
  });

  it('rejects other media types and other message types', () => {
    expect(contentTypeMatches('application/json', schema)).toBe(false);
    expect(contentTypeMatches('application/x-protobuf; messageType=vectorstack.auth.v1.ApiKeyState', schema)).toBe(false);
  });
});

describe('dead-letter headers', () => {
  it('keeps the original headers and adds where and why', () => {
    const headers = buildDeadLetterHeaders({
      original: { 'event-id': 'e-1', traceparent: 'tp' },
      reason: 'handler-failed',
      error: new Error('boom'),
      sourceTopic: 'vectorstack.usage.recorded.v1',
      partition: 3,
      offset: '42',
      consumerGroup: 'metering',
      failedAt: new Date('2025-01-01T00:00:00.000Z'),
    });
    expect(headers).toEqual({
      'event-id': 'e-1',
      traceparent: 'tp',
      [KafkaHeaders.dlqReason]: 'handler-failed',
      [KafkaHeaders.dlqError]: 'Error: boom',
      [KafkaHeaders.dlqSourceTopic]: 'vectorstack.usage.recorded.v1',
      [KafkaHeaders.dlqSourcePartition]: '3',
      [KafkaHeaders.dlqSourceOffset]: '42',
      [KafkaHeaders.dlqConsumerGroup]: 'metering',
      [KafkaHeaders.dlqFailedAt]: '2025-01-01T00:00:00.000Z',
    });
  });

  it('never includes a stack and truncates long messages', () => {
    const error = new Error('x'.repeat(5_000));
    const described = describeError(error);
    expect(described.length).toBe(1024);
    expect(described).not.toContain('    at ');
    expect(describeError(new Error('short'))).toBe('Error: short');
    expect(describeError('plain string')).toBe('plain string');
  });
});
