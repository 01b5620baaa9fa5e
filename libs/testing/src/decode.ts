import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';

/**
 * Decodes a record read from a shared topic in a test's own consumer, or undefined when it is
 * not that message. Other suites put undecodable records on shared topics on purpose (metering's
 * dead-letter test); a consumer that threw on one would retry it forever and see nothing after it.
 */
export function decodeOrSkip<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> | undefined {
  try {
    return fromBinary(schema, bytes);
  } catch {
    return undefined;
  }
}
