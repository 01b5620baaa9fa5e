import { create, toBinary } from '@bufbuild/protobuf';
import { UsageRecordedSchema } from '@vectorstack/contracts';
import { decodeOrSkip } from './decode';

describe('decodeOrSkip', () => {
  it('decodes a record of the schema', () => {
    const bytes = toBinary(UsageRecordedSchema, create(UsageRecordedSchema, { requestId: 'r-1', model: 'm' }));
    expect(decodeOrSkip(UsageRecordedSchema, bytes)).toMatchObject({ requestId: 'r-1', model: 'm' });
  });

  it('answers undefined for bytes that are not one (the dead-letter test record)', () => {
    expect(decodeOrSkip(UsageRecordedSchema, Buffer.from([0xff, 0xff, 0xff, 0xff]))).toBeUndefined();
  });
});
