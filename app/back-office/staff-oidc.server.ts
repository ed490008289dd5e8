import type { Env } from "~/base/env.server";
import { relyingPartyPer } from "~/base/oidc-login.server";

/**
 * Staff sign in through the city's staff identity provider: its own issuer,
 * client and cookie, nothing shared with the residents' city-app login
 * (docs/decisions/017).
 */

type StaffOidcEnv = Pick<Env, "staffOidc" | "backOfficeUrl" | "SESSION_SECRET" | "backOfficeIsHttps">;

export const staffRedirectUri = (env: Pick<Env, "backOfficeUrl">) => `${env.backOfficeUrl}/back-office/auth/callback`;
export const staffPostLogoutRedirectUri = (env: Pick<Env, "backOfficeUrl">) => `${env.backOfficeUrl}/back-office/signed-out`;

export const staffRelyingParty = relyingPartyPer((env: StaffOidcEnv) => ({
  settings: () => env.staffOidc,
  redirectUri: staffRedirectUri(env),
  postLogoutRedirectUri: staffPostLogoutRedirectUri(env),
  scope: "openid profile",
  cookieName: "back_office_oidc",
  cookiePath: "/back-office/auth",
  cookieSecret: env.SESSION_SECRET,
  secureCookie: env.backOfficeIsHttps,
  defaultReturnTo: "/back-office",
}));
