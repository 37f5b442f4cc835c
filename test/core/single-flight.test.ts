import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../src/core/single-flight.js';

describe('SingleFlight', () => {
  it('shares one run among concurrent callers of a key and starts afresh once it settles', async () => {
    const flights = new SingleFlight<string, number>();
    let runs = 0;
    const work = async (): Promise<number> => ++runs;
    const a = flights.run('k', work);
    const b = flights.run('k', work);
    expect(a.joined).toBe(false);
    expect(b.joined).toBe(true);
    expect(await a.promise).toBe(1);
    expect(await b.promise).toBe(1);
    expect(await flights.run('k', work).promise).toBe(2);
  });

  it('never caches a rejection', async () => {
    const flights = new SingleFlight<string, number>();
    await expect(flights.run('k', async () => Promise.reject(new Error('boom'))).promise).rejects.toThrow('boom');
    expect(flights.has('k')).toBe(false);
    expect(await flights.run('k', async () => 7).promise).toBe(7);
  });
});
