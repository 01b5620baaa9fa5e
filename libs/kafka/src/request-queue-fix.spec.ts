import './kafka-connection'; // installs the fix, as every use of this library does
import { applyRequestQueueFix, kafkajsRequestQueue, scheduleCheckPendingRequests } from './request-queue-fix';

type Queue = { pending: unknown[]; throttledUntil: number; throttleCheckTimeoutId: NodeJS.Timeout | null; checkPendingRequests: jest.Mock };

describe('kafkajs request queue fix', () => {
  const queue = (overrides: Partial<Queue> = {}): Queue => ({ pending: [], throttledUntil: -1, throttleCheckTimeoutId: null, checkPendingRequests: jest.fn(), ...overrides });

  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('arms nothing when no request waits and nothing is throttled (kafkajs 2.2.4 looped every 1 ms here)', () => {
    const q = queue();
    scheduleCheckPendingRequests.call(q);
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('checks waiting requests after 10 ms, or when a client-side throttle ends', () => {
    const waiting = queue({ pending: [{}] });
    scheduleCheckPendingRequests.call(waiting);
    jest.advanceTimersByTime(9);
    expect(waiting.checkPendingRequests).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(waiting.checkPendingRequests).toHaveBeenCalledTimes(1);
    expect(waiting.throttleCheckTimeoutId).toBeNull();

    const throttled = queue({ pending: [{}], throttledUntil: Date.now() + 250 });
    scheduleCheckPendingRequests.call(throttled);
    jest.advanceTimersByTime(249);
    expect(throttled.checkPendingRequests).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
  });

  it('does not arm a second check while one is armed', () => {
    const q = queue({ pending: [{}] });
    scheduleCheckPendingRequests.call(q);
    scheduleCheckPendingRequests.call(q);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('is installed on kafkajs once the library is loaded, and a real idle queue stops re-arming', () => {
    applyRequestQueueFix(); // idempotent
    const RequestQueue = kafkajsRequestQueue() as unknown as new (options: object) => Queue & { checkPendingRequests(): void; destroy(): void };
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(scheduleCheckPendingRequests);
    const real = new RequestQueue({ maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: 'b:9092', logger: { debug: () => undefined, warn: () => undefined } });
    real.checkPendingRequests(); // what kafkajs runs after every response
    expect(jest.getTimerCount()).toBe(0);
    real.destroy();
  });
});
