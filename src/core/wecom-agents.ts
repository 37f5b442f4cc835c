import { InvalidRequestError } from '../errors/index.js';
import { jssdkSignature, newNonceStr, WECOM_TICKET_TYPES, type WeComTicketType } from '../wechat/index.js';
import type { Clock } from '../util/clock.js';
import type { CredentialKind } from './kinds/kind.js';
import { stickyAgeKnown } from './kinds/sticky-value.js';
import { PRIMARY_SECRET, validateSecret, validateWecomAgent, wecomAgentId, wecomAgentOf } from './principals.js';
import type { IssuedTicket, IssuedToken, WeComAgentStatus, WeComJsSdkConfig, WeComService } from './token-service.js';
import { validatePageUrl } from './page-url.js';
import type { PrincipalCredentials } from './principal-credentials.js';

/** The WeCom kinds WeComAgents serves. */
export interface WeComKinds {
  readonly token: CredentialKind;
  readonly tickets: ReadonlyMap<WeComTicketType, CredentialKind>;
}

/**
 * WeCom (企业微信) apps over the hub's one engine: each (corpid, agent) is a principal of type `wecom_agent` holding
 * the app's secret, with its access token (eager) and its two JS-SDK tickets (lazy) as kinds. This class only maps
 * WeCom's names onto the hub's principal API; every refresh rule lives in the kinds.
 */
export class WeComAgents implements WeComService {
  readonly #hub: PrincipalCredentials;
  readonly #kinds: WeComKinds;
  readonly #clock: Clock;
  readonly #randomBytes: (size: number) => Buffer;

  constructor(hub: PrincipalCredentials, kinds: WeComKinds, options: { clock: Clock; randomBytes: (size: number) => Buffer }) {
    this.#hub = hub;
    this.#kinds = kinds;
    this.#clock = options.clock;
    this.#randomBytes = options.randomBytes;
  }

  /** Registers or updates a WeCom app's secret; a changed secret clears a `failed` state. */
  async put(corpid: string, agent: string, input: { secret: string }): Promise<{ created: boolean }> {
    validateWecomAgent(corpid, agent);
    validateSecret(input.secret);
    const { created } = await this.#hub.putPrincipal({
      id: wecomAgentId(corpid, agent),
      type: 'wecom_agent',
      attributes: { corpid, agent },
      secrets: { [PRIMARY_SECRET]: input.secret },
    });
    return { created };
  }

  /** Removes a WeCom app and its credentials; returns whether it existed. */
  async remove(corpid: string, agent: string): Promise<boolean> {
    validateWecomAgent(corpid, agent);
    return this.#hub.removePrincipal(wecomAgentId(corpid, agent));
  }

  /** Every WeCom app this instance tracks, with its token's state, in id order. */
  list(): WeComAgentStatus[] {
    return this.#hub
      .credentialStates([this.#kinds.token])
      .map(({ key: _key, kind: _kind, appid: _id, principal, ...state }) => ({ ...state, ...wecomAgentOf(principal), createdAt: principal.createdAt, updatedAt: principal.updatedAt }))
      .sort((a, b) => (a.corpid === b.corpid ? compare(a.agent, b.agent) : compare(a.corpid, b.corpid)));
  }

  /** The app's current access token, fetched when none is held (concurrent callers share one `gettoken`). */
  async getToken(corpid: string, agent: string): Promise<IssuedToken> {
    validateWecomAgent(corpid, agent);
    return this.#hub.credential(wecomAgentId(corpid, agent), this.#kinds.token);
  }

  /** Reports a token WeCom rejected (40014/42001); refreshes only if it is still the current one. */
  async invalidate(corpid: string, agent: string, badToken: string): Promise<IssuedToken> {
    validateWecomAgent(corpid, agent);
    return this.#hub.invalidateCredential(wecomAgentId(corpid, agent), this.#kinds.token, badToken);
  }

  /** Operator-forced refresh of the app's token (gettoken answers the same token unless WeCom ended it). */
  async refresh(corpid: string, agent: string): Promise<IssuedToken> {
    validateWecomAgent(corpid, agent);
    return this.#hub.refreshCredential(wecomAgentId(corpid, agent), this.#kinds.token);
  }

  /** The corp JS-SDK ticket (`jsapi`) or the app's agent-config ticket, fetched with the app's token when none is held. */
  async getTicket(corpid: string, agent: string, type: WeComTicketType): Promise<IssuedTicket> {
    validateWecomAgent(corpid, agent);
    const kind = this.#kinds.tickets.get(type);
    if (!kind) throw new InvalidRequestError(`WeCom ticket type must be one of ${WECOM_TICKET_TYPES.join(', ')}, got ${JSON.stringify(String(type).slice(0, 40))}`);
    const id = wecomAgentId(corpid, agent);
    const issued = await this.#hub.credential(id, kind);
    return { ...issued, ageKnown: stickyAgeKnown(this.#hub.credentialRecord(id, kind)) };
  }

  /** Both signatures for the page at `url`, signed with tickets that never leave the hub. */
  async signJsSdkConfig(corpid: string, agent: string, url: string): Promise<WeComJsSdkConfig> {
    validatePageUrl(url);
    if (!/^[0-9]+$/.test(agent)) throw new InvalidRequestError(`wx.agentConfig needs an agentid; ${JSON.stringify(agent)} names a secret, not an agent`);
    const [corpTicket, agentTicket] = await Promise.all([this.getTicket(corpid, agent, 'jsapi'), this.getTicket(corpid, agent, 'agent_config')]);
    const timestamp = Math.floor(this.#clock.now() / 1000);
    const sign = (ticket: string): { nonceStr: string; signature: string } => {
      const nonceStr = newNonceStr(this.#randomBytes);
      return { nonceStr, signature: jssdkSignature({ ticket, nonceStr, timestamp, url }) };
    };
    return {
      config: { appId: corpid, timestamp, ...sign(corpTicket.token) },
      agentConfig: { corpid, agentid: Number(agent), timestamp, ...sign(agentTicket.token) },
    };
  }

  /** The WeCom app whose current access token `token` is, if the hub issued it (for the compat layer). */
  agentOfToken(token: string): { corpid: string; agent: string } | undefined {
    const owner = this.#hub.ownerOfValue(token);
    return owner && owner.principal.type === 'wecom_agent' && owner.kind === this.#kinds.token.name ? wecomAgentOf(owner.principal) : undefined;
  }

  /**
   * The registered app of `corpid` whose secret `secret` is, compared in constant time against each (for the
   * WeCom-compatible gettoken, where the secret is what names the app).
   */
  async agentOfSecret(corpid: string, secret: string): Promise<string | undefined> {
    let found: string | undefined;
    // Every candidate is compared, so the time taken does not tell which one matched.
    for (const agent of await this.agentsOf(corpid)) {
      if ((await this.#hub.principalSecretMatches(wecomAgentId(corpid, agent), PRIMARY_SECRET, secret)) && !found) found = agent;
    }
    return found;
  }

  /**
   * The registered apps of a corp this instance holds (for the compat layer: no store read per request, so a flood
   * of requests naming unknown corps costs the store nothing).
   */
  async agentsOf(corpid: string): Promise<string[]> {
    return this.#hub
      .trackedPrincipals('wecom_agent')
      .map(wecomAgentOf)
      .filter((a) => a.corpid === corpid)
      .map((a) => a.agent);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

