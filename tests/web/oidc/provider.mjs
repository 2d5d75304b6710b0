// A real OpenID Connect provider (oidc-provider, pinned in the Makefile) for the single sign-on tests,
// run offline on loopback: node provider.mjs PORT AIDIS_URL
// Accounts: ada (groups: payments-team), bob (no groups), mallory (no AIDIS user). The development
// interactions accept any password; access tokens for AIDIS_URL/mcp are JWTs carrying email and groups.
import { pathToFileURL } from 'node:url';

const [port, aidis] = process.argv.slice(2);
const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_MODULE).href);

const accounts = {
  ada: { email: 'ada@example.com', groups: ['payments-team'] },
  bob: { email: 'bob@example.com', groups: [] },
  mallory: { email: 'mallory@example.com', groups: [] },
};
const resource = `${aidis}/mcp`;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'aidis-dashboard',
    token_endpoint_auth_method: 'none',
    redirect_uris: [`${aidis}/login/sso/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() { return { sub: `sub-${id}`, email: account.email, email_verified: true, groups: account.groups, name: id }; },
    };
  },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, indicator) => {
        if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
        return { scope: 'openid', audience: resource, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  extraTokenClaims: async (ctx, token) => {
    const account = accounts[token.accountId];
    return account ? { email: account.email, groups: account.groups } : undefined;
  },
  pkce: { required: () => true },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => { process.stdout.write('ready\n'); });
