/**
 * A service killed with kill -9: `npm run status` shows it down (exit code non-zero), and
 * `npm start` brings back only what is down. In the chaos project because it takes a service
 * away, which suites running alongside it would see as 502s.
 */
import { status, vs, waitFor } from '../support/local-platform';

describe('a crashed service', () => {
  it('shows a service killed with kill -9 as down, and npm start brings it back', async () => {
    const victim = 'metering';
    const before = status().components.find((c) => c.component === victim);
    expect(before?.pid).toBeGreaterThan(0);
    const others = status().components.filter((c) => c.component !== victim);
    process.kill(before?.pid as number, 'SIGKILL');
    await waitFor('metering to be seen as down', async () => (status().components.find((c) => c.component === victim)?.state === 'down' ? true : undefined), 10_000);
    const down = status();
    expect(down.code).not.toBe(0);
    expect(down.components.find((c) => c.component === victim)).toMatchObject({ state: 'down', ready: false });

    const up = vs('up');
    expect(up.status).toBe(0);
    const after = status();
    expect(after.code).toBe(0);
    const restarted = after.components.find((c) => c.component === victim);
    expect(restarted).toMatchObject({ state: 'up', ready: true });
    expect(restarted?.pid).not.toBe(before?.pid);
    // Nothing else was restarted.
    for (const other of others) expect(after.components.find((c) => c.component === other.component)?.pid).toBe(other.pid);
  });
});
