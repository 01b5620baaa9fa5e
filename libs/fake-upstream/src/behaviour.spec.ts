import { applyControlScript, defaultBehaviour, modelBehaviour, parseControlScript, pickFault } from './behaviour';

describe('parseControlScript', () => {
  it('accepts every documented field', () => {
    expect(
      parseControlScript({
        latencyMs: 5,
        streamChunkDelayMs: 10,
        failNext: { count: 2, status: 503, message: 'down' },
        failAlways: { fault: 'midstream', afterChunks: 3 },
        retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT',
        retryAfterMs: 250,
      }),
    ).toEqual({
      latencyMs: 5,
      streamChunkDelayMs: 10,
      failNext: { count: 2, status: 503, message: 'down' },
      failAlways: { fault: 'midstream', afterChunks: 3 },
      retryAfter: 'Wed, 21 Oct 2015 07:28:00 GMT',
      retryAfterMs: 250,
    });
    expect(parseControlScript({ failNext: { fault: 'reset' } })).toEqual({ failNext: { fault: 'reset', count: 1 } });
    expect(parseControlScript({ failNext: null, failAlways: null, retryAfter: null })).toEqual({ failNext: null, failAlways: null, retryAfter: null });
  });

  it.each([
    [[], 'must be a JSON object'],
    [{ latency: 5 }, 'Unknown control field latency'],
    [{ latencyMs: -1 }, 'latencyMs must be a non-negative number'],
    [{ failNext: { count: 1 } }, 'failNext needs a status'],
    [{ failNext: { status: 200 } }, 'failNext.status must be an HTTP error status'],
    [{ failAlways: { fault: 'explode' } }, 'failAlways needs a status'],
    [{ retryAfter: -3 }, 'retryAfter must be a non-negative number'],
  ])('refuses %j', (script, message) => {
    expect(() => parseControlScript(script)).toThrow(message);
  });
});

describe('modelBehaviour', () => {
  it.each([
    ['fail-500', { fault: { status: 500 } }],
    ['fail-429', { fault: { status: 429 } }],
    ['fail-200', {}],
    ['slow', { latencyMs: 1000 }],
    ['slow-250', { latencyMs: 250 }],
    ['timeout', { fault: { fault: 'timeout' } }],
    ['reset', { fault: { fault: 'reset' } }],
    ['stall', { fault: { fault: 'stall' } }],
    ['midstream-error', { fault: { fault: 'midstream' } }],
    ['error-event', { fault: { fault: 'error-event' } }],
    ['malformed', { fault: { fault: 'malformed' } }],
    ['gpt-4o', {}],
  ])('%s → %j', (model, behaviour) => {
    expect(modelBehaviour(model)).toEqual(behaviour);
  });
});

describe('pickFault', () => {
  it('uses failNext first until spent, then the model, then failAlways', () => {
    let behaviour = applyControlScript(defaultBehaviour(), parseControlScript({ failNext: { count: 2, status: 503 }, failAlways: { fault: 'reset' } }));
    expect(pickFault(behaviour, 'fail-500')).toMatchObject({ status: 503 });
    expect(pickFault(behaviour, 'fail-500')).toMatchObject({ status: 503 });
    expect(behaviour.failNext).toBeNull();
    expect(pickFault(behaviour, 'fail-500')).toEqual({ status: 500 });
    expect(pickFault(behaviour, 'fake-model')).toEqual({ fault: 'reset' });
    behaviour = applyControlScript(behaviour, { failAlways: null });
    expect(pickFault(behaviour, 'fake-model')).toBeUndefined();
  });

  it('does not share failNext counters with the script object that set them', () => {
    const script = parseControlScript({ failNext: { count: 1, status: 500 } });
    const behaviour = applyControlScript(defaultBehaviour(), script);
    pickFault(behaviour, undefined);
    expect(script.failNext).toEqual({ count: 1, status: 500 });
  });
});
