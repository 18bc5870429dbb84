// A real OpenID Provider for wijkdeel's tests and local development: node-oidc-provider
// (OpenID Certified), with its built-in development login pages. It listens on 127.0.0.1 at a
// free port (or PORT) and prints one line, `issuer <url>`, once it serves.
//
//   REDIRECT_URI   the redirect URI of the `wijkdeel` client (required)
//   CLIENT_SECRET  that client's secret (default: wijkdeel-test-secret)
//   PORT           the port to listen on (default: any free one)
//
// Test users: any login typed on the login page whose name is in USERS signs in, with that
// name as its `sub`; the password is not checked (the development login of oidc-provider).
import http from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

const USERS = new Set(["anna", "bram", "onbekend"]);
const redirectUri = process.env.REDIRECT_URI;
if (!redirectUri) {
  console.error("REDIRECT_URI is required");
  process.exit(2);
}

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: "test-rs256", use: "sig", alg: "RS256" };

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "wijkdeel",
      client_secret: process.env.CLIENT_SECRET || "wijkdeel-test-secret",
      redirect_uris: [redirectUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ["wijkdeel-test-provider-cookie-key"] },
  pkce: { required: () => true },
  claims: { openid: ["sub"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    if (!USERS.has(id)) return undefined;
    return { accountId: id, async claims() { return { sub: id }; } };
  },
  // wijkdeel is a first-party client: no consent screen, as a municipality's provider would.
  async loadExistingGrant(ctx) {
    const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid");
    await grant.save();
    return grant;
  },
});
provider.on("server_error", (_ctx, error) => console.error("server_error", error));
server.on("request", provider.callback());
console.log(`issuer ${issuer}`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
