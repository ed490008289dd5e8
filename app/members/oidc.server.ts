import { createCookie } from "@remix-run/node";
import * as oidc from "openid-client";
import { safeRedirect } from "~/lib/safe-redirect";
import type { Env } from "~/base/env.server";
import type { Locale } from "~/i18n";

/**
 * Logging in through the city app's OpenID Connect provider (openid-client
 * v6): authorization code flow with PKCE, state and nonce; the member's name
 * and, for verified members, national ID come from the user info endpoint
 * (the ID token carries only `sub`).
 */

type OidcEnv = Pick<Env, "oidc" | "PUBLIC_URL" | "SESSION_SECRET" | "publicUrlIsHttps">;

export class LoginUnavailable extends Error {}
export class LoginFailed extends Error {}

let discovered: { issuer: string; configuration: Promise<oidc.Configuration> } | undefined;

/** The provider's configuration, discovered once; a failed discovery is retried next time. */
function oidcConfiguration(env: OidcEnv): Promise<oidc.Configuration> {
  const settings = env.oidc;
  if (!settings) return Promise.reject(new LoginUnavailable("no identity provider is configured"));
  if (discovered?.issuer !== settings.issuer) {
    const insecure = settings.issuer.startsWith("http://");
    if (insecure && !settings.allowHttp)
      return Promise.reject(new LoginUnavailable("an http:// issuer needs OIDC_ALLOW_HTTP (the local identity provider of demo mode)"));
    const configuration = oidc
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        undefined,
        oidc.ClientSecretBasic(settings.clientSecret),
        // Plain http only for the local identity provider of demo mode (stack notes).
        insecure ? { execute: [oidc.allowInsecureRequests], timeout: 5 } : { timeout: 5 },
      )
      .catch((error: unknown) => {
        discovered = undefined;
        throw new LoginUnavailable(`discovery failed: ${String(error)}`);
      });
    discovered = { issuer: settings.issuer, configuration };
  }
  return discovered.configuration;
}

export const redirectUri = (env: Pick<Env, "PUBLIC_URL">) => `${env.PUBLIC_URL}/auth/callback`;
export const postLogoutRedirectUri = (env: Pick<Env, "PUBLIC_URL">) => `${env.PUBLIC_URL}/logged-out`;

interface LoginTransaction {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

/** What only this browser knows while the login is at the provider; ten minutes. */
function transactionCookie(env: OidcEnv) {
  // Not "_session"/"_interaction": the identity provider may use those on the same host.
  return createCookie("portal_oidc", {
    path: "/auth",
    httpOnly: true,
    sameSite: "lax",
    secure: env.publicUrlIsHttps,
    maxAge: 600,
    secrets: [env.SESSION_SECRET],
  });
}

export async function beginLogin(env: OidcEnv, returnTo: unknown, locale: Locale): Promise<{ url: string; setCookie: string }> {
  const configuration = await oidcConfiguration(env);
  const transaction: LoginTransaction = {
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    verifier: oidc.randomPKCECodeVerifier(),
    // Only a path on this site: no open redirect through the login.
    returnTo: safeRedirect(returnTo, "/account"),
  };
  const url = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: redirectUri(env),
    scope: "openid profile national_id",
    code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
    code_challenge_method: "S256",
    state: transaction.state,
    nonce: transaction.nonce,
    // OIDC's way to ask for the login page in the visitor's language.
    ui_locales: locale,
  });
  return { url: url.href, setCookie: await transactionCookie(env).serialize(transaction) };
}

export interface LoggedInIdentity {
  issuer: string;
  subject: string;
  name: string;
  nationalId: string | null;
  verified: boolean;
  idToken: string | null;
  returnTo: string;
}

/** Checks the provider's answer (state, PKCE, nonce, ID token) and reads who logged in. */
export async function completeLogin(env: OidcEnv, request: Request): Promise<{ identity: LoggedInIdentity; clearCookie: string }> {
  const configuration = await oidcConfiguration(env);
  const cookie = transactionCookie(env);
  const transaction = (await cookie.parse(request.headers.get("Cookie"))) as LoginTransaction | null;
  const clearCookie = await cookie.serialize("", { maxAge: 0 });
  if (!transaction?.state) throw new LoginFailed("no login in progress in this browser");
  // Rebuilt from the configured redirect URI: behind a proxy request.url is not what the provider saw.
  const callbackUrl = new URL(`${redirectUri(env)}${new URL(request.url).search}`);
  let tokens;
  try {
    tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: transaction.verifier,
      expectedState: transaction.state,
      expectedNonce: transaction.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    throw new LoginFailed(String(error));
  }
  const claims = tokens.claims()!;
  const info = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub);
  const verified = info.identity_verified === true && typeof info.national_id === "string";
  return {
    identity: {
      issuer: configuration.serverMetadata().issuer,
      subject: claims.sub,
      name: typeof info.name === "string" && info.name ? info.name : "會員",
      nationalId: verified ? (info.national_id as string) : null,
      verified,
      idToken: tokens.id_token ?? null,
      returnTo: transaction.returnTo,
    },
    clearCookie,
  };
}

/** Where to send the member to end the session at the provider too (RP-initiated logout). */
export async function providerLogoutUrl(env: OidcEnv, idToken: string | null): Promise<string | null> {
  try {
    const configuration = await oidcConfiguration(env);
    if (!configuration.serverMetadata().end_session_endpoint) return null;
    return oidc.buildEndSessionUrl(configuration, {
      post_logout_redirect_uri: postLogoutRedirectUri(env),
      ...(idToken ? { id_token_hint: idToken } : {}),
    }).href;
  } catch {
    return null;
  }
}
