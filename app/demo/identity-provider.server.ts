import { generateKeyPairSync } from "node:crypto";
import express, { type Request, type Response } from "express";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import { taipeiDate } from "~/domain/dates";
import { DEMO_AGENCIES } from "~/demo/data/catalogue";
import { generateDemoData } from "~/demo/data/generate";
import { DEMO_STAFF, type DemoStaffMember } from "~/demo/data/staff";
import { safeEqual } from "~/base/signatures.server";
import { SUPPORTED_LOCALES, type Locale } from "~/i18n";
import { escapeHtml, sandboxLocale, sandboxPage, sandboxT, type SandboxKey } from "./html";
import type zhTW from "./locales/zh-TW.json";
import { asyncRoute } from "~/base/async-route.server";

/**
 * The local identity providers (demo mode and tests), standing in for the
 * city's two directories: the city app's (臺中通) OpenID Connect provider for
 * residents, and the city's staff directory for the back office. One
 * oidc-provider setup with demo accounts and an accessible, bilingual login
 * page of its own, told by a `Directory` which accounts, claims and words are
 * its. The portal talks to each exactly as to the real one; switching is
 * configuration.
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
    // The reminders' own member (e-mail settings, due-date reminders): binds the reminder showcase's numbers.
    { sub: "tc-0006", username: "member-e", password: "demo-1234", name: "張雅婷" },
  ];
}

/** The words of a directory's pages. */
type PageWord =
  | "service"
  | "banner"
  | "signInTitle"
  | "intro"
  | "username"
  | "password"
  | "signIn"
  | "cancel"
  | "failed"
  | "wrongPassword"
  | "demoAccounts"
  | "name"
  | "description"
  | "signOutTitle"
  | "signOutQuestion"
  | "signOut"
  | "staySignedIn"
  | "signedOut"
  | "problem";

/** The sections of the demo locale files that hold every page word. */
type DirectoryWords = { [S in keyof typeof zhTW]: (typeof zhTW)[S] extends Record<PageWord, string> ? S : never }[keyof typeof zhTW];

interface DirectoryAccount {
  sub: string;
  username: string;
  password: string;
  name: string;
  /** The user info besides `sub`. */
  claims: Record<string, unknown>;
  /** The demo accounts table's last column, in each language. */
  description: Record<Locale, string>;
}

/** What makes one directory's provider its own. */
export interface Directory {
  accounts: DirectoryAccount[];
  /** The section of the demo locale files with the pages' words. */
  words: DirectoryWords;
  /** The header's and buttons' colour (white text on it): each directory looks like its own service. */
  colour: string;
  /** The claims of each scope (oidc-provider's `claims`); the portal's client is granted them all. */
  claims: Record<string, string[]>;
  /**
   * Before the provider's cookie names. Cookies ignore ports, so two
   * providers on one host name would overwrite each other's `_session`.
   */
  cookiePrefix: string;
}

const inEachLocale = (text: (t: (key: SandboxKey) => string, locale: Locale) => string) =>
  Object.fromEntries(SUPPORTED_LOCALES.map((locale) => [locale, text(sandboxT(locale), locale)])) as Record<Locale, string>;

/** The city app's residents: the default directory. */
function residentsDirectory(members: DemoMember[] = demoMembers()): Directory {
  return {
    accounts: members.map((member) => ({
      ...member,
      claims: member.nationalId
        ? { name: member.name, national_id: member.nationalId, identity_verified: true }
        : { name: member.name, identity_verified: false },
      description: inEachLocale((t) => t(member.nationalId ? "idp.verified" : "idp.notVerified")),
    })),
    words: "idp",
    colour: "#5b2a86",
    claims: { openid: ["sub"], profile: ["name"], national_id: ["national_id", "identity_verified"] },
    cookiePrefix: "",
  };
}

/** The city's staff directory: employees with their agency and role, told by name only (the portal holds the roles). */
export function staffDirectory(staff: readonly DemoStaffMember[] = DEMO_STAFF): Directory {
  const agencies = new Map(DEMO_AGENCIES.map((agency) => [agency.code, agency]));
  return {
    accounts: staff.map((member) => ({
      sub: member.sub,
      username: member.username,
      password: member.password,
      name: member.name,
      claims: { name: member.name },
      description: inEachLocale((t, locale) => {
        const agency = member.agencyCode ? agencies.get(member.agencyCode) : undefined;
        const where = agency ? (locale === "en" ? agency.nameEn : agency.nameZh) : t("staffIdp.cityWide");
        return `${where}: ${t(`staffIdp.roles.${member.role}`)}`;
      }),
    })),
    words: "staffIdp",
    colour: "#00594c",
    claims: { openid: ["sub"], profile: ["name"] },
    cookiePrefix: "_staff",
  };
}

export interface IdentityProviderOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  cookieSecret: string;
  /** Residents' unless told. */
  directory?: Directory;
}

const idpStyle = (
  colour: string,
) => `header{background:${colour};color:#fff;padding:.75rem 1rem;margin:-1rem -1rem 1rem}header .access-key{color:#fff}
header .service{margin:0;font-weight:700;font-size:1.25rem}header .banner{margin:.5rem -1rem -.75rem}
label{display:block;font-weight:700;margin-top:1rem}
input{font:inherit;min-height:44px;padding:.25rem .5rem;border:2px solid #1b1b1b;width:100%;max-width:20rem;box-sizing:border-box}
button{font:inherit;font-weight:700;min-height:44px;padding:.5rem 1.25rem;margin:1rem .5rem 0 0;border:2px solid ${colour};border-radius:4px;background:${colour};color:#fff;cursor:pointer}
.error-summary{border:5px solid #b3261e;padding:1rem;margin-bottom:1rem}.error-summary a{color:#b3261e;font-weight:700}
table{border-collapse:collapse}td,th{border-bottom:1px solid #6f6f6f;padding:.25rem .75rem .25rem 0;text-align:left}`;

/** A directory's words in one language. */
function wordsOf(directory: Directory, locale: Locale): (word: PageWord) => string {
  const t = sandboxT(locale);
  return (word) => t(`${directory.words}.${word}`);
}

function page(directory: Directory, locale: Locale, title: string, body: string): string {
  const w = wordsOf(directory, locale);
  return sandboxPage({ locale, title, service: w("service"), banner: w("banner"), style: idpStyle(directory.colour), body });
}

function loginPage(directory: Directory, uid: string, options: { locale: Locale; username?: string; error?: boolean }): string {
  const w = wordsOf(directory, options.locale);
  const text = (word: PageWord) => escapeHtml(w(word));
  const error = options.error
    ? `<div class="error-summary" role="alert" tabindex="-1" autofocus><h2>${text("failed")}</h2>
<ul><li><a href="#username">${text("wrongPassword")}</a></li></ul></div>`
    : "";
  const rows = directory.accounts
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.username)}</td><td>${escapeHtml(a.password)}</td><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.description[options.locale])}</td></tr>`,
    )
    .join("");
  return page(
    directory,
    options.locale,
    `${options.error ? `${w("failed")}: ` : ""}${w("signInTitle")}`,
    `${error}<h1>${text("signInTitle")}</h1>
<p>${text("intro")}</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login" novalidate>
<label for="username">${text("username")}</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" value="${escapeHtml(options.username ?? "")}"${options.error ? ' aria-invalid="true"' : ""}>
<label for="password">${text("password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">${text("signIn")}</button>
</form>
<p><a href="/interaction/${escapeHtml(uid)}/abort">${text("cancel")}</a></p>
<h2>${text("demoAccounts")}</h2>
<table><thead><tr><th scope="col">${text("username")}</th><th scope="col">${text("password")}</th><th scope="col">${text("name")}</th><th scope="col">${text("description")}</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

/** The language the portal asked for (ui_locales), else the browser's. */
function localeOf(uiLocales: unknown, acceptsLanguages: (...languages: string[]) => string | false): Locale {
  return sandboxLocale(typeof uiLocales === "string" ? uiLocales : undefined, acceptsLanguages);
}

export function createIdentityProvider(options: IdentityProviderOptions): { app: express.Express; provider: Provider } {
  const directory = options.directory ?? residentsDirectory();
  const bySub = new Map(directory.accounts.map((account) => [account.sub, account]));
  const scopes = Object.keys(directory.claims).join(" ");
  const grantedClaims = [...new Set(Object.values(directory.claims).flat())].filter((claim) => claim !== "sub");
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
    cookies: {
      keys: [options.cookieSecret],
      names: {
        session: `${directory.cookiePrefix}_session`,
        interaction: `${directory.cookiePrefix}_interaction`,
        resume: `${directory.cookiePrefix}_interaction_resume`,
      },
    },
    claims: directory.claims,
    async findAccount(_ctx, sub) {
      const account = bySub.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    // The portal is the city's own service: no consent screen.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const session = ctx.oidc.session!;
      const clientId = ctx.oidc.client!.clientId;
      const existing = session.grantIdFor(clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: session.accountId! });
      grant.addOIDCScope(scopes);
      grant.addOIDCClaims(grantedClaims);
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
          const w = wordsOf(directory, locale);
          ctx.body = page(
            directory,
            locale,
            w("signOutTitle"),
            `<h1>${escapeHtml(w("signOutTitle"))}</h1><p>${escapeHtml(w("signOutQuestion"))}</p>
${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">${escapeHtml(w("signOut"))}</button>
<button type="submit" form="op.logoutForm">${escapeHtml(w("staySignedIn"))}</button>`,
          );
        },
        async postLogoutSuccessSource(ctx) {
          const locale = localeOf(undefined, (...languages) => ctx.acceptsLanguages(...languages));
          const signedOut = wordsOf(directory, locale)("signedOut");
          ctx.body = page(directory, locale, signedOut, `<h1>${escapeHtml(signedOut)}</h1>`);
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = "html";
      const locale = localeOf(ctx.oidc?.params?.ui_locales, (...languages) => ctx.acceptsLanguages(...languages));
      const problem = wordsOf(directory, locale)("problem");
      ctx.body = page(
        directory,
        locale,
        problem,
        `<h1>${escapeHtml(problem)}</h1><p>${escapeHtml(String(out.error_description ?? out.error))}</p>`,
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
      const { uid, prompt, params } = await provider.interactionDetails(req, res);
      if (prompt.name !== "login") {
        // Consent is granted by loadExistingGrant; nothing else to ask.
        await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
        return;
      }
      res
        .type("html")
        .send(loginPage(directory, uid, { locale: localeOf(params.ui_locales, (...languages) => req.acceptsLanguages(...languages)) }));
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
      const account = directory.accounts.find((a) => a.username === username && safeEqual(a.password, password));
      if (!account) {
        res
          .status(400)
          .type("html")
          .send(
            loginPage(directory, uid, {
              locale: localeOf(params.ui_locales, (...languages) => req.acceptsLanguages(...languages)),
              username,
              error: true,
            }),
          );
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    }),
  );

  app.get(
    "/interaction/:uid/abort",
    noStore,
    asyncRoute(async (req, res) => {
      await provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "The user cancelled the sign-in." },
        { mergeWithLastSubmission: false },
      );
    }),
  );

  // oidc-provider answers and handles its own errors: its promise is not Express's to wait for.
  const callback = provider.callback();
  app.use((req, res) => void callback(req, res));
  return { app, provider };
}
