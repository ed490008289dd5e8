import type { Env } from "~/base/env.server";
import { LoginFailed, LoginUnavailable, relyingPartyPer } from "~/base/oidc-login.server";
import type { Locale } from "~/i18n";

/**
 * Members log in through the city app's OpenID Connect provider; the member's
 * name and, for verified members, national ID come from its user info.
 */

export { LoginFailed, LoginUnavailable };

type OidcEnv = Pick<Env, "oidc" | "PUBLIC_URL" | "SESSION_SECRET" | "publicUrlIsHttps">;

export const redirectUri = (env: Pick<Env, "PUBLIC_URL">) => `${env.PUBLIC_URL}/auth/callback`;
export const postLogoutRedirectUri = (env: Pick<Env, "PUBLIC_URL">) => `${env.PUBLIC_URL}/logged-out`;

const relyingParty = relyingPartyPer((env: OidcEnv) => ({
  settings: () => env.oidc,
  redirectUri: redirectUri(env),
  postLogoutRedirectUri: postLogoutRedirectUri(env),
  scope: "openid profile national_id",
  cookieName: "portal_oidc",
  cookiePath: "/auth",
  cookieSecret: env.SESSION_SECRET,
  secureCookie: env.publicUrlIsHttps,
  defaultReturnTo: "/account",
}));

export function beginLogin(env: OidcEnv, returnTo: unknown, locale: Locale): Promise<{ url: string; setCookie: string }> {
  return relyingParty(env).beginLogin(returnTo, locale);
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

export async function completeLogin(env: OidcEnv, request: Request): Promise<{ identity: LoggedInIdentity; clearCookie: string }> {
  const { login, clearCookie } = await relyingParty(env).completeLogin(request);
  const info = login.userInfo;
  const verified = info.identity_verified === true && typeof info.national_id === "string";
  return {
    identity: {
      issuer: login.issuer,
      subject: login.subject,
      name: typeof info.name === "string" && info.name ? info.name : "會員",
      nationalId: verified ? (info.national_id as string) : null,
      verified,
      idToken: login.idToken,
      returnTo: login.returnTo,
    },
    clearCookie,
  };
}

export function providerLogoutUrl(env: OidcEnv, idToken: string | null): Promise<string | null> {
  return relyingParty(env).providerLogoutUrl(idToken);
}
