import { generateKeyPairSync } from "node:crypto";
import express, { type Request, type Response } from "express";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import { taipeiDate } from "~/domain/dates";
import { generateDemoData } from "~/demo/data/generate";
import { safeEqual } from "~/base/signatures.server";
import type { Locale } from "~/i18n";
import { escapeHtml, sandboxLocale, sandboxPage, sandboxT, type SandboxKey } from "./html";
import { asyncRoute } from "~/base/async-route.server";

/**
 * The local identity provider (demo mode and tests), standing in for the city
 * app's (臺中通) OpenID Connect provider: oidc-provider with a few demo
 * members and an accessible, bilingual login page of its own. The portal
 * talks to it exactly as to the real one; switching is configuration.
 */

export interface DemoMember {
  sub: string;
  username: string;
  password: string;
  name: string;
  /** Present for identity-verified members (全功能會員) only. */
  nationalId?: string;
}

/** Demo members; the verified ones are demo residents, so bills issued to them exist. */
export function demoMembers(): DemoMember[] {
  const [first, second, third] = generateDemoData({ today: taipeiDate(), billsPerType: 5, residents: 10 }).residents;
  return [
    { sub: "tc-0001", username: "meihsin", password: "demo-1234", name: first!.name, nationalId: first!.nationalId },
    { sub: "tc-0002", username: "xiaoming", password: "demo-1234", name: "王小明" },
    { sub: "tc-0003", username: "member-b", password: "demo-1234", name: second!.name, nationalId: second!.nationalId },
    { sub: "tc-0004", username: "member-c", password: "demo-1234", name: third!.name, nationalId: third!.nationalId },
    { sub: "tc-0005", username: "member-d", password: "demo-1234", name: "陳志豪" },
  ];
}

export interface IdentityProviderOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  cookieSecret: string;
  members?: DemoMember[];
}

const IDP_STYLE = `header{background:#5b2a86;color:#fff;padding:.75rem 1rem;margin:-1rem -1rem 1rem}header .access-key{color:#fff}
header .service{margin:0;font-weight:700;font-size:1.25rem}header .banner{margin:.5rem -1rem -.75rem}
label{display:block;font-weight:700;margin-top:1rem}
input{font:inherit;min-height:44px;padding:.25rem .5rem;border:2px solid #1b1b1b;width:100%;max-width:20rem;box-sizing:border-box}
button{font:inherit;font-weight:700;min-height:44px;padding:.5rem 1.25rem;margin:1rem .5rem 0 0;border:2px solid #5b2a86;border-radius:4px;background:#5b2a86;color:#fff;cursor:pointer}
.error-summary{border:5px solid #b3261e;padding:1rem;margin-bottom:1rem}.error-summary a{color:#b3261e;font-weight:700}
table{border-collapse:collapse}td,th{border-bottom:1px solid #6f6f6f;padding:.25rem .75rem .25rem 0;text-align:left}`;

function page(locale: Locale, title: string, body: string): string {
  const t = sandboxT(locale);
  return sandboxPage({ locale, title, service: t("idp.service"), banner: t("idp.banner"), style: IDP_STYLE, body });
}

function loginPage(uid: string, options: { locale: Locale; username?: string; error?: boolean; members: DemoMember[] }): string {
  const t = sandboxT(options.locale);
  const text = (key: SandboxKey) => escapeHtml(t(key));
  const error = options.error
    ? `<div class="error-summary" role="alert" tabindex="-1" autofocus><h2>${text("idp.failed")}</h2>
<ul><li><a href="#username">${text("idp.wrongPassword")}</a></li></ul></div>`
    : "";
  const rows = options.members
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.username)}</td><td>${escapeHtml(m.password)}</td><td>${escapeHtml(m.name)}</td><td>${text(m.nationalId ? "idp.verified" : "idp.notVerified")}</td></tr>`,
    )
    .join("");
  return page(
    options.locale,
    `${options.error ? `${t("idp.failed")}: ` : ""}${t("idp.signInTitle")}`,
    `${error}<h1>${text("idp.signInTitle")}</h1>
<p>${text("idp.intro")}</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login" novalidate>
<label for="username">${text("idp.username")}</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" value="${escapeHtml(options.username ?? "")}"${options.error ? ' aria-invalid="true"' : ""}>
<label for="password">${text("idp.password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">${text("idp.signIn")}</button>
</form>
<p><a href="/interaction/${escapeHtml(uid)}/abort">${text("idp.cancel")}</a></p>
<h2>${text("idp.demoAccounts")}</h2>
<table><thead><tr><th scope="col">${text("idp.username")}</th><th scope="col">${text("idp.password")}</th><th scope="col">${text("idp.name")}</th><th scope="col">${text("idp.verification")}</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

/** The language the portal asked for (ui_locales), else the browser's. */
function localeOf(uiLocales: unknown, acceptsLanguages: (...languages: string[]) => string | false): Locale {
  return sandboxLocale(typeof uiLocales === "string" ? uiLocales : undefined, acceptsLanguages);
}

export function createIdentityProvider(options: IdentityProviderOptions): { app: express.Express; provider: Provider } {
  const members = options.members ?? demoMembers();
  const bySub = new Map(members.map((member) => [member.sub, member]));
  // A fresh signing key per start: the portal fetches the key set from the provider.
  const signingKey = {
    ...generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }),
    use: "sig",
    alg: "ES256",
  };

  const configuration: Configuration = {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "ES256",
      },
    ],
    jwks: { keys: [signingKey as never] },
    pkce: { required: () => true },
    // Short lives, as a city app's provider would set them (seconds).
    ttl: { Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600, AuthorizationCode: 60, AccessToken: 300, IdToken: 300 },
    cookies: { keys: [options.cookieSecret] },
    claims: { openid: ["sub"], profile: ["name"], national_id: ["national_id", "identity_verified"] },
    async findAccount(_ctx, sub) {
      const member = bySub.get(sub);
      if (!member) return undefined;
      return {
        accountId: sub,
        async claims() {
          return member.nationalId
            ? { sub, name: member.name, national_id: member.nationalId, identity_verified: true }
            : { sub, name: member.name, identity_verified: false };
        },
      };
    },
    // The portal is the city's own service: no consent screen.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const session = ctx.oidc.session!;
      const clientId = ctx.oidc.client!.clientId;
      const existing = session.grantIdFor(clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: session.accountId! });
      grant.addOIDCScope("openid profile national_id");
      grant.addOIDCClaims(["name", "national_id", "identity_verified"]);
      await grant.save();
      session.grantIdFor(clientId, grant.jti);
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          const locale = localeOf(ctx.oidc.params?.ui_locales, (...languages) => ctx.acceptsLanguages(...languages));
          const t = sandboxT(locale);
          ctx.body = page(
            locale,
            t("idp.signOutTitle"),
            `<h1>${escapeHtml(t("idp.signOutTitle"))}</h1><p>${escapeHtml(t("idp.signOutQuestion"))}</p>
${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">${escapeHtml(t("idp.signOut"))}</button>
<button type="submit" form="op.logoutForm">${escapeHtml(t("idp.staySignedIn"))}</button>`,
          );
        },
        async postLogoutSuccessSource(ctx) {
          const locale = localeOf(undefined, (...languages) => ctx.acceptsLanguages(...languages));
          ctx.body = page(locale, sandboxT(locale)("idp.signedOut"), `<h1>${escapeHtml(sandboxT(locale)("idp.signedOut"))}</h1>`);
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = "html";
      const locale = localeOf(ctx.oidc?.params?.ui_locales, (...languages) => ctx.acceptsLanguages(...languages));
      const problem = sandboxT(locale)("idp.problem");
      ctx.body = page(locale, problem, `<h1>${escapeHtml(problem)}</h1><p>${escapeHtml(String(out.error_description ?? out.error))}</p>`);
    },
  };

  const provider = new Provider(options.issuer, configuration);
  const app = express();
  app.disable("x-powered-by");
  const form = express.urlencoded({ extended: false });
  const noStore = (_req: Request, res: Response, next: () => void) => {
    res.set("Cache-Control", "no-store");
    next();
  };

  app.get(
    "/interaction/:uid",
    noStore,
    asyncRoute(async (req, res) => {
      const { uid, prompt, params } = await provider.interactionDetails(req, res);
      if (prompt.name !== "login") {
        // Consent is granted by loadExistingGrant; nothing else to ask.
        await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
        return;
      }
      res
        .type("html")
        .send(loginPage(uid, { locale: localeOf(params.ui_locales, (...languages) => req.acceptsLanguages(...languages)), members }));
    }),
  );

  app.post(
    "/interaction/:uid/login",
    noStore,
    form,
    asyncRoute(async (req, res) => {
      const { uid, params } = await provider.interactionDetails(req, res);
      const username = typeof req.body.username === "string" ? req.body.username.trim().slice(0, 60) : "";
      const password = typeof req.body.password === "string" ? req.body.password.slice(0, 200) : "";
      const member = members.find((m) => m.username === username && safeEqual(m.password, password));
      if (!member) {
        res
          .status(400)
          .type("html")
          .send(
            loginPage(uid, {
              locale: localeOf(params.ui_locales, (...languages) => req.acceptsLanguages(...languages)),
              username,
              error: true,
              members,
            }),
          );
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: member.sub } }, { mergeWithLastSubmission: false });
    }),
  );

  app.get(
    "/interaction/:uid/abort",
    noStore,
    asyncRoute(async (req, res) => {
      await provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "The member cancelled the sign-in." },
        { mergeWithLastSubmission: false },
      );
    }),
  );

  // oidc-provider answers and handles its own errors: its promise is not Express's to wait for.
  const callback = provider.callback();
  app.use((req, res) => void callback(req, res));
  return { app, provider };
}
