import type { Command } from 'commander';
import { loadMasterKey } from '../../core/master-key.js';
import { reseal, type ResealProgress } from '../../core/reseal.js';
import { createSealer, masterKeyId } from '../../core/sealer.js';
import { existsSync } from 'node:fs';
import { openStore, parseStoreUrl } from '../../stores/open-store.js';
import type { CliContext } from '../context.js';
import { resolveStoreUrl } from '../runtime.js';
import { storeOption } from './shared-options.js';

/** Registers `wxtoken master-key rotate`: re-seal every secret and token under the current master key. */
export function registerMasterKey(program: Command, ctx: CliContext): void {
  const masterKey = program.command('master-key').description('manage the master key that seals secrets and tokens at rest (see docs/keys.md)');

  masterKey
    .command('rotate')
    .description(
      're-seal every app secret and stored token under the current master key (WXTOKEN_MASTER_KEY, or the first line ' +
        'of the key file), opening old values with the previous key (WXTOKEN_MASTER_KEY_PREVIOUS, or the further lines ' +
        'of the key file); safe while hubs run; follow the steps in docs/keys.md',
    )
    .option('--dry-run', 'count what would be re-sealed, write nothing')
    .addOption(storeOption())
    .action(async (opts: { dryRun?: boolean; store?: string }) => {
      const storeUrl = resolveStoreUrl(opts.store, ctx.env);
      // A mistyped SQLite path must not leave a new database and a new key file behind (and "re-seal" nothing).
      const location = parseStoreUrl(storeUrl);
      if (location.kind === 'sqlite' && !existsSync(location.path)) {
        throw new Error(`store ${location.description} does not exist (no such file); check --store or WXTOKEN_STORE`);
      }
      const master = await loadMasterKey({ env: ctx.env, storeUrl });
      for (const warning of master.warnings) ctx.stderr.write(`wxtoken: warning: ${warning}\n`);
      const sealer = createSealer({ current: master.key, previous: master.previous });
      const previous = master.previous.map(masterKeyId);
      ctx.stderr.write(
        `${opts.dryRun ? 'checking' : 're-sealing'} under master key ${sealer.currentKeyId}` +
          (previous.length > 0 ? `, opening with previous key ${previous.join(', ')}` : ' (no previous key configured)') +
          '\n',
      );
      const store = await openStore(storeUrl);
      try {
        const report = await reseal(store, sealer, { dryRun: opts.dryRun === true, onProgress: progressPrinter(ctx) });
        const { resealed, current, remaining } = report;
        if (opts.dryRun) {
          ctx.stdout.write(`${remaining} value(s) not sealed under key ${sealer.currentKeyId}; ${current.secrets + current.credentials} already are\n`);
        } else {
          ctx.stdout.write(
            `re-sealed ${resealed.secrets} secret(s) and ${resealed.credentials} token(s) under key ${sealer.currentKeyId}; ` +
              `${current.secrets + current.credentials} already were; ${remaining} remaining\n`,
          );
        }
        if (!opts.dryRun && remaining > 0) throw new Error(`${remaining} value(s) changed during the pass and are not re-sealed yet; run the command again`);
        if (!opts.dryRun && previous.length > 0) {
          ctx.stderr.write('every value is sealed under the current key: the previous key can now be removed from every instance\n');
        }
      } finally {
        await store.close();
      }
    });
}

/** Prints progress on stderr: each phase's start and end, and about every tenth of the way on big stores. */
function progressPrinter(ctx: CliContext): (progress: ResealProgress) => void {
  return ({ phase, done, total }) => {
    const step = Math.max(1, Math.ceil(total / 10));
    if (done === total || done % step === 0) ctx.stderr.write(`  ${phase}: ${done}/${total}\n`);
  };
}
