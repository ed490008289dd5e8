import { expect } from "vitest";
import { freePort, startPortal } from "./portal-process.mjs";
import { SoftwareAuthenticator } from "./software-authenticator";

/**
 * A browser in Node for server tests of the back office: a cookie jar,
 * redirects followed by hand, and a demo staff member's first sign-in (the
 * staff identity provider's form, then a passkey registered with a software
 * authenticator), as a real browser does it.
 */

const FORM = "application/x-www-form-urlencoded";
const DEMO_PASSWORD = "staff-demo-1234";

/** A browser of one staff member: its own cookies, redirects followed by hand. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = "", setting = ""] = attribute.trim().split("=");
        if (/^max-age$/i.test(key)) return Number(setting) <= 0;
        return /^expires$/i.test(key) && Date.parse(setting) < Date.now();
      });
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects with GETs; the last answer and where it came from. */
  async follow(response: Response, from: string): Promise<{ response: Response; url: string }> {
    let url = from;
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      if (hops > 10) throw new Error(`too many redirects from ${from}`);
      url = new URL(response.headers.get("location")!, url).toString();
      response = await this.request(url);
    }
    return { response, url };
  }
}

export interface SignedIn {
  browser: Browser;
  authenticator: SoftwareAuthenticator;
}

/** Signs a demo staff member in at the staff identity provider and registers a passkey, as a first sign-in does. */
export async function signIn(origin: string, username: string): Promise<SignedIn> {
  const browser = new Browser();
  const started = await browser.request(`${origin}/back-office/login`, {
    method: "POST",
    headers: { origin, "content-type": FORM },
    body: new URLSearchParams({ returnTo: "/back-office" }),
  });
  expect(started.status, "sign-in starts").toBe(303);
  const atProvider = await browser.follow(started, `${origin}/back-office/login`);
  const uid = /action="\/interaction\/([^/"]+)\/login"/.exec(await atProvider.response.text())?.[1];
  expect(uid, "the staff identity provider's login form").toBeTruthy();
  const loggedIn = await browser.request(new URL(`/interaction/${uid}/login`, atProvider.url).toString(), {
    method: "POST",
    headers: { "content-type": FORM },
    body: new URLSearchParams({ username, password: DEMO_PASSWORD }),
  });
  const landed = await browser.follow(loggedIn, atProvider.url);
  expect(new URL(landed.url).pathname, `${username} is sent to register a passkey`).toBe("/back-office/passkey");
  await landed.response.arrayBuffer();

  const page = await browser.request(`${origin}/back-office/passkey?_data=routes%2Fback-office.passkey`);
  expect(page.status).toBe(200);
  const { options } = (await page.json()) as { options: Parameters<SoftwareAuthenticator["register"]>[0] };
  const authenticator = new SoftwareAuthenticator(origin);
  const registered = await browser.request(`${origin}/back-office/passkey`, {
    method: "POST",
    headers: { origin, "content-type": FORM },
    body: new URLSearchParams({ credential: JSON.stringify(authenticator.register(options)) }),
  });
  expect(registered.status, `${username}'s passkey is registered`).toBe(303);
  const home = await browser.request(`${origin}/back-office`);
  expect(home.status, `${username} reaches the back office`).toBe(200);
  await home.arrayBuffer();
  return { browser, authenticator };
}

/**
 * The built portal in demo mode for the back office's server tests, on one
 * database kind; reached by host name, since WebAuthn refuses IP addresses.
 */
export async function startBackOfficePortal(database: "pglite" | "postgres") {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const portal = await startPortal(
    { PORT: String(port), PUBLIC_URL: origin, BACK_OFFICE_URL: origin },
    database === "postgres" ? { postgresAdminUrl: process.env.TEST_DATABASE_URL } : {},
  );
  return { portal, origin };
}
