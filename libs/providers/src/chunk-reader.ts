import type { ChunkReader } from './types';

/** The chunks of a reader one by one, as an async iterable (cancelled when the iteration stops early). */
export async function* readerChunks<T>(reader: ChunkReader<T>): AsyncGenerator<T, void, undefined> {
  try {
    for (;;) {
      const read = reader.read();
      const batch = read instanceof Promise ? await read : read;
      if (batch === null) return;
      yield* batch;
    }
  } finally {
    reader.cancel();
  }
}

/**
 * A reader over chunks that come one by one from an async iterable (a translated or replayed
 * stream): each read is a batch of one, after a promise.
 */
export class IterableChunkReader<T> implements ChunkReader<T> {
  private readonly iterator: AsyncIterator<T>;
  private ended = false;

  constructor(chunks: AsyncIterable<T>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  read(): Promise<readonly T[] | null> {
    if (this.ended) return Promise.resolve(null);
    return this.iterator.next().then(
      (step) => {
        if (!step.done) return [step.value];
        this.ended = true;
        return null;
      },
      (error: unknown) => {
        this.ended = true;
        throw error;
      },
    );
  }

  cancel(): void {
    if (this.ended) return;
    this.ended = true;
    void this.iterator.return?.()?.catch(() => undefined);
  }
}

/** The adapter's own reader when it has one, else the chunks one by one. */
export function readerOf<T>(stream: { readonly chunks: AsyncIterable<T>; reader?(): ChunkReader<T> }): ChunkReader<T> {
  return stream.reader ? stream.reader() : new IterableChunkReader(stream.chunks);
}
