// Get a wijkdeel access token by private_key_jwt with openid-client, then call /v1/me.
//
//   WIJKDEEL_CLIENT_ID=cl_… WIJKDEEL_KEY=kinderwerk-noord.pem WIJKDEEL_KID=k1 \
//   WIJKDEEL_PURPOSE=signalering node token.mjs
//
// WIJKDEEL_URL is the issuer (default http://127.0.0.1:8000, what `make run` serves).
import { readFile } from "node:fs/promises";
import * as client from "openid-client";
import { importPKCS8 } from "jose";

const issuer = new URL(process.env.WIJKDEEL_URL ?? "http://127.0.0.1:8000");
const clientId = process.env.WIJKDEEL_CLIENT_ID;
const pem = await readFile(process.env.WIJKDEEL_KEY, "utf8"); // the key whose public JWK you registered
const key = await importPKCS8(pem, "ES256");

const config = await client.discovery(
  issuer,
  clientId,
  { token_endpoint_auth_signing_alg: "ES256" },
  client.PrivateKeyJwt({ key, kid: process.env.WIJKDEEL_KID }),
  {
    algorithm: "oauth2", // RFC 8414 metadata: /.well-known/oauth-authorization-server
    // Plain http is for a local service only; production issuers are https://.
    execute: issuer.protocol === "http:" ? [client.allowInsecureRequests] : [],
  },
);
const parameters = process.env.WIJKDEEL_PURPOSE ? { purpose: process.env.WIJKDEEL_PURPOSE } : {};
const tokens = await client.clientCredentialsGrant(config, parameters);

const me = await fetch(new URL("/v1/me", issuer), {
  headers: { Authorization: `Bearer ${tokens.access_token}` },
});
console.log(JSON.stringify(await me.json()));
