import { defineConfig } from 'vitest/config';

// `npm run fuzz`: only the large fuzz campaign, with room to run (see test/fuzz/campaign.fuzz.ts).
export default defineConfig({
  test: {
    include: ['test/fuzz/campaign.fuzz.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 3 * 60 * 60 * 1000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
