import { InvalidArgumentError, Option } from 'commander';
import type { Grant } from '../../stores/store.js';

/** `--store URL`, shared by every command that touches the store. */
export function storeOption(): Option {
  return new Option('--store <url>', 'store URL: sqlite:./wxtoken.db (default), memory:, redis://host:6379/0, postgres://user@host/db [env: WXTOKEN_STORE]');
}

/** `--upstream URL`, for commands that may call WeChat. */
export function upstreamOption(): Option {
  return new Option('--upstream <url>', 'WeChat API base URL (point it at `wxtoken simulate` in development) [env: WXTOKEN_UPSTREAM, default: https://api.weixin.qq.com]');
}

/** `--wecom-upstream URL`, for commands that may call WeCom. */
export function wecomUpstreamOption(): Option {
  return new Option('--wecom-upstream <url>', 'WeCom API base URL (`wxtoken simulate` serves WeCom too) [env: WXTOKEN_WECOM_UPSTREAM, default: https://qyapi.weixin.qq.com]');
}

/** Parses `--grant`. */
export function parseGrant(value: string): Grant {
  if (value !== 'stable' && value !== 'classic') throw new InvalidArgumentError('expected "stable" or "classic"');
  return value;
}
