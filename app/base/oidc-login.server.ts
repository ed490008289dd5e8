import { createCookie } from "@remix-run/node";
import * as oidc from "openid-client";
import { safeRedirect } from "~/lib/safe-redirect";

/**
 * Signing in through an OpenID Connect provider (openid-client v6):
 * authorization code flow with PKCE, state and nonce; who signed in comes
 * from the user info endpoint (the ID token carries only `sub`). One relying
 * party per provider: the residents' city app and the city's staff directory
 * each get their own, with their own cookie, redirect URI and scopes.
 */

export class LoginUnavailable extends Error {}
export class LoginFailed extends Error {}

interface ProviderSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  allowHttp: boolean;
}

export interface RelyingPartyOptions {
  /** The provider, or null when none is configured (login is then unavailable). */
  settings: () => ProviderSettings | null;
  redirectUri: string;
  postLogoutRedirectUri: string;
  scope: string;
  /** Name and path of the cookie that holds the login in progress. */
  cookieName: string;
  cookiePath: string;
  cookieSecret: string;
  secureCookie: boolean;
  defaultReturnTo: string;
}

interface LoginTransaction {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

interface CompletedLogin {
  issuer: string;
  subject: string;
  userInfo: Record<string, unknown>;
  idToken: string | null;
  returnTo: string;
}

export interface RelyingParty {
  beginLogin(returnTo: unknown, locale: string): Promise<{ url: string; setCookie: string }>;
  completeLogin(request: Request): Promise<{ login: CompletedLogin; clearCookie: string }>;
  providerLogoutUrl(idToken: string | null): Promise<string | null>;
}

export function createRelyingParty(options: RelyingPartyOptions): RelyingParty {
  let discovered: { issuer: string; configuration: Promise<oidc.Configuration> } | undefined;

  /** The provider's configuration, discovered once; a failed discovery is retried next time. */
  function configuration(): Promise<oidc.Configuration> {
    const settings = options.settings();
    if (!settings) return Promise.reject(new LoginUnavailable("no identity provider is configured"));
    if (discovered?.issuer !== settings.issuer) {
      const insecure = settings.issuer.startsWith("http://");
      if (insecure && !settings.allowHttp)
        return Promise.reject(new LoginUnavailable("an http:// issuer needs OIDC_ALLOW_HTTP (the local identity providers of demo mode)"));
      const found = oidc
        .discovery(
          new URL(settings.issuer),
          settings.clientId,
          undefined,
          oidc.ClientSecretBasic(settings.clientSecret),
          // Plain http only for the local identity providers of demo mode (stack notes).
          insecure ? { execute: [oidc.allowInsecureRequests], timeout: 5 } : { timeout: 5 },
        )
        .catch((error: unknown) => {
          discovered = undefined;
          throw new LoginUnavailable(`discovery failed: ${String(error)}`);
        });
      discovered = { issuer: settings.issuer, configuration: found };
    }
    return discovered.configuration;
  }

  /** What only this browser knows while the login is at the provider; ten minutes. */
  const transactionCookie = () =>
    // Never "_session"/"_interaction": the identity provider may use those on the same host.
    createCookie(options.cookieName, {
      path: options.cookiePath,
      httpOnly: true,
      sameSite: "lax",
      secure: options.secureCookie,
      maxAge: 600,
      secrets: [options.cookieSecret],
    });

  return {
    async beginLogin(returnTo, locale) {
      const config = await configuration();
      const transaction: LoginTransaction = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        verifier: oidc.randomPKCECodeVerifier(),
        // Only a path on this site: no open redirect through the login.
        returnTo: safeRedirect(returnTo, options.defaultReturnTo),
      };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: options.scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
        code_challenge_method: "S256",
        state: transaction.state,
        nonce: transaction.nonce,
        // OIDC's way to ask for the login page in the visitor's language.
        ui_locales: locale,
      });
      return { url: url.href, setCookie: await transactionCookie().serialize(transaction) };
    },

    /** Checks the provider's answer (state, PKCE, nonce, ID token) and reads who signed in. */
    async completeLogin(request) {
      const config = await configuration();
      const cookie = transactionCookie();
      const transaction = (await cookie.parse(request.headers.get("Cookie"))) as LoginTransaction | null;
      const clearCookie = await cookie.serialize("", { maxAge: 0 });
      if (!transaction?.state) throw new LoginFailed("no login in progress in this browser");
      // Rebuilt from the configured redirect URI: behind a proxy request.url is not what the provider saw.
      const callbackUrl = new URL(`${options.redirectUri}${new URL(request.url).search}`);
      let tokens;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: transaction.verifier,
          expectedState: transaction.state,
          expectedNonce: transaction.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        throw new LoginFailed(String(error));
      }
      const claims = tokens.claims()!;
      const userInfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      return {
        login: {
          issuer: config.serverMetadata().issuer,
          subject: claims.sub,
          userInfo,
          idToken: tokens.id_token ?? null,
          returnTo: transaction.returnTo,
        },
        clearCookie,
      };
    },

    /** Where to send the user to end the session at the provider too (RP-initiated logout). */
    async providerLogoutUrl(idToken) {
      try {
        const config = await configuration();
        if (!config.serverMetadata().end_session_endpoint) return null;
        return oidc.buildEndSessionUrl(config, {
          post_logout_redirect_uri: options.postLogoutRedirectUri,
          ...(idToken ? { id_token_hint: idToken } : {}),
        }).href;
      } catch {
        return null;
      }
    },
  };
}

/**
 * One relying party per configuration object, built on first use: its
 * discovery is cached inside, so a new one per request would ask the
 * provider again every time.
 */
export function relyingPartyPer<E extends object>(optionsFor: (env: E) => RelyingPartyOptions): (env: E) => RelyingParty {
  const parties = new WeakMap<E, RelyingParty>();
  return (env) => {
    let party = parties.get(env);
    if (!party) {
      party = createRelyingParty(optionsFor(env));
      parties.set(env, party);
    }
    return party;
  };
}
