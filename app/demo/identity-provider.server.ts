import { generateKeyPairSync } from "node:crypto";
import express, { type Request, type Response } from "express";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import { taipeiDate } from "~/domain/dates";
import { generateDemoData } from "~/demo/data/generate";
import { safeEqual } from "~/base/signatures.server";
import { escapeHtml } from "./html";
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

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-Hant-TW"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,"Noto Sans TC",sans-serif;max-width:34rem;margin:0 auto;padding:1rem;line-height:1.6;color:#1b1b1b}
header{background:#5b2a86;color:#fff;padding:.75rem 1rem;margin:-1rem -1rem 1rem}header p{margin:0;font-weight:700;font-size:1.25rem}
.banner{background:#fff4d6;color:#3d2e00;padding:.5rem 1rem;font-weight:700}
label{display:block;font-weight:700;margin-top:1rem}
input{font:inherit;min-height:44px;padding:.25rem .5rem;border:2px solid #1b1b1b;width:100%;max-width:20rem;box-sizing:border-box}
button{font:inherit;font-weight:700;min-height:44px;padding:.5rem 1.25rem;margin-top:1rem;border:2px solid #5b2a86;border-radius:4px;background:#5b2a86;color:#fff;cursor:pointer}
a{color:#0b4fa3}:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px;box-shadow:0 0 0 6px #ffbf47}
.error-summary{border:5px solid #b3261e;padding:1rem;margin-bottom:1rem}.error-summary a{color:#b3261e;font-weight:700}
table{border-collapse:collapse}td,th{border-bottom:1px solid #6f6f6f;padding:.25rem .75rem .25rem 0;text-align:left}
</style></head><body>
<header><p>臺中通 <span lang="en">Taichung app</span></p></header>
<p class="banner">示範身分驗證服務，帳號皆為虛構 <span lang="en">· Demo sign-in service, all accounts are fictional</span></p>
<main>${body}</main></body></html>`;
}

function loginPage(uid: string, options: { username?: string; error?: boolean; members: DemoMember[] }): string {
  const error = options.error
    ? `<div class="error-summary" role="alert" tabindex="-1" autofocus><h2>登入失敗 <span lang="en">Sign-in failed</span></h2>
<ul><li><a href="#username">帳號或密碼不正確，請再試一次 <span lang="en">Username or password is wrong: try again</span></a></li></ul></div>`
    : "";
  const rows = options.members
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.username)}</td><td>${escapeHtml(m.password)}</td><td>${escapeHtml(m.name)}</td><td>${m.nationalId ? '已驗證 <span lang="en">verified</span>' : '未驗證 <span lang="en">not verified</span>'}</td></tr>`,
    )
    .join("");
  return page(
    "登入臺中通 Sign in",
    `${error}<h1>登入臺中通 <span lang="en">Sign in</span></h1>
<p>登入後返回支付繳費通。<span lang="en">You will return to the Pay Portal after signing in.</span></p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login" novalidate>
<label for="username">帳號 <span lang="en">Username</span></label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" value="${escapeHtml(options.username ?? "")}"${options.error ? ' aria-invalid="true"' : ""}>
<label for="password">密碼 <span lang="en">Password</span></label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">登入 <span lang="en">Sign in</span></button>
</form>
<p><a href="/interaction/${escapeHtml(uid)}/abort">取消登入，回到支付繳費通 <span lang="en">Cancel and go back</span></a></p>
<h2>示範帳號 <span lang="en">Demo accounts</span></h2>
<table><thead><tr><th scope="col">帳號</th><th scope="col">密碼</th><th scope="col">姓名</th><th scope="col">身分驗證</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
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
          ctx.body = page(
            "登出臺中通 Sign out",
            `<h1>登出 <span lang="en">Sign out</span></h1><p>是否也要登出臺中通？<span lang="en">Sign out of the Taichung app as well?</span></p>
${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">登出 <span lang="en">Sign out</span></button>
<button type="submit" form="op.logoutForm">保持臺中通登入 <span lang="en">Stay signed in to the app</span></button>`,
          );
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page("已登出 Signed out", `<h1>已登出 <span lang="en">Signed out</span></h1>`);
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = page(
        "登入發生問題 Sign-in problem",
        `<h1>登入發生問題 <span lang="en">Sign-in problem</span></h1><p>${escapeHtml(String(out.error_description ?? out.error))}</p>`,
      );
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
      const { uid, prompt } = await provider.interactionDetails(req, res);
      if (prompt.name !== "login") {
        // Consent is granted by loadExistingGrant; nothing else to ask.
        await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
        return;
      }
      res.type("html").send(loginPage(uid, { members }));
    }),
  );

  app.post(
    "/interaction/:uid/login",
    noStore,
    form,
    asyncRoute(async (req, res) => {
      const { uid } = await provider.interactionDetails(req, res);
      const username = typeof req.body.username === "string" ? req.body.username.trim().slice(0, 60) : "";
      const password = typeof req.body.password === "string" ? req.body.password.slice(0, 200) : "";
      const member = members.find((m) => m.username === username && safeEqual(m.password, password));
      if (!member) {
        res
          .status(400)
          .type("html")
          .send(loginPage(uid, { username, error: true, members }));
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
