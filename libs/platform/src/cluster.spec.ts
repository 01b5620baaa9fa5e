import { workerCount } from './cluster';

describe('workerCount', () => {
  it('takes a number as it is and auto as the CPUs the process may use', () => {
    expect(workerCount(1)).toBe(1);
    expect(workerCount(3)).toBe(3);
    expect(workerCount('auto', () => 8)).toBe(8);
    expect(workerCount('auto', () => 0)).toBe(1);
  });
});
