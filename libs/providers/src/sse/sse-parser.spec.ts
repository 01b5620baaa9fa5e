import { SseParser, type SseEvent } from './sse-parser';

function parseInPieces(bytes: Buffer, cuts: number[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...parser.push(bytes.subarray(start, cut)));
    start = cut;
  }
  events.push(...parser.end());
  return events;
}

const STREAM = [
  ': keep-alive comment',
  '',
  'data: {"choices":[{"delta":{"content":"héllo wörld 🌍 — 你好"}}]}',
  '',
  'event: content_block_delta',
  'data: {"type":"content_block_delta"}',
  '',
  'data: first line',
  'data:second line',
  'id: 7',
  'retry: 1000',
  '',
  'data: [DONE]',
  '',
  '',
].join('\n');

const EXPECTED: SseEvent[] = [
  { event: undefined, data: '{"choices":[{"delta":{"content":"héllo wörld 🌍 — 你好"}}]}' },
  { event: 'content_block_delta', data: '{"type":"content_block_delta"}' },
  { event: undefined, data: 'first line\nsecond line' },
  { event: undefined, data: '[DONE]' },
];

describe('SseParser', () => {
  it('parses a whole stream in one push', () => {
    expect(parseInPieces(Buffer.from(STREAM), [])).toEqual(EXPECTED);
  });

  it('gives the same events whatever single byte boundary splits the stream (inside UTF-8 characters too)', () => {
    const bytes = Buffer.from(STREAM);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect({ cut, events: parseInPieces(bytes, [cut]) }).toEqual({ cut, events: EXPECTED });
    }
  });

  it('gives the same events when fed one byte at a time', () => {
    const bytes = Buffer.from(STREAM);
    expect(parseInPieces(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1))).toEqual(EXPECTED);
  });

  it('handles CRLF line endings split between CR and LF', () => {
    const bytes = Buffer.from(STREAM.replace(/\n/g, '\r\n'));
    for (let cut = 1; cut < bytes.length; cut++) expect(parseInPieces(bytes, [cut])).toEqual(EXPECTED);
  });

  it('gives the same events for random multi-cut splits', () => {
    const bytes = Buffer.from(STREAM);
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 8) }, () => 1 + Math.floor(random() * (bytes.length - 1))).sort((a, b) => a - b);
      expect(parseInPieces(bytes, cuts)).toEqual(EXPECTED);
    }
  });

  it('completes an event without a trailing blank line at the end of the stream', () => {
    const parser = new SseParser();
    expect(parser.push(Buffer.from('data: {"a":1}\n\ndata: {"b":2}'))).toEqual([{ event: undefined, data: '{"a":1}' }]);
    expect(parser.end()).toEqual([{ event: undefined, data: '{"b":2}' }]);
  });

  it('dispatches nothing for blank lines without data, and an empty data field as an empty event', () => {
    expect(parseInPieces(Buffer.from('\n\nevent: ping\n\ndata:\n\n'), [])).toEqual([{ event: undefined, data: '' }]);
  });
});
