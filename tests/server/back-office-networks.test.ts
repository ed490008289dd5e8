import { request, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPortal, waitFor } from "../support/portal-process.mjs";

/**
 * The back office's allow-list met by the built server: outside its networks
 * the back office answers a plain 403 and nothing else, however its address is
 * written; residents' pages answer everyone; X-Forwarded-For counts only from
 * the proxies TRUST_PROXY says there are. (On Linux all of 127.0.0.0/8 is this
 * machine: 127.0.0.2 plays a client outside the allow-list.)
 */

type Portal = Awaited<ReturnType<typeof startPortal>>;

const OUTSIDE = "203.0.113.9";

/** A GET with the path sent as written (fetch would tidy it), from `from` when given. */
function get(portal: Portal, path: string, headers: Record<string, string> = {}, from?: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const sent = request({ host: "127.0.0.1", port: portal.port, path, headers, localAddress: from }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    sent.on("error", reject);
    sent.end();
  });
}

function expectRefusal(answer: { status: number; headers: IncomingHttpHeaders; body: string }, path: string) {
  expect(answer.status, path).toBe(403);
  expect(answer.headers["content-type"], path).toBe("text/plain; charset=utf-8");
  expect(answer.headers["cache-control"], path).toBe("no-store");
  expect(answer.body, path).toBe("此網路位址不得使用後台。\nThe back office cannot be used from this network address.\n");
}

describe("the back office's allow-list", () => {
  let behindProxy: Portal;
  let direct: Portal;

  beforeAll(async () => {
    const allowList = { BACK_OFFICE_NETWORKS: "127.0.0.1/32", SEED_DEMO_DATA: "false" };
    [behindProxy, direct] = await Promise.all([
      startPortal({ ...allowList, TRUST_PROXY: "1" }),
      startPortal({ ...allowList, TRUST_PROXY: "0" }),
    ]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([behindProxy?.stop(), direct?.stop()]);
  });

  it("behind a proxy, refuses the back office to a client outside its networks with a plain 403, and logs it", async () => {
    const answer = await get(behindProxy, "/back-office/login", { "x-forwarded-for": OUTSIDE });
    expectRefusal(answer, "/back-office/login");
    expect(answer.body).not.toMatch(/<html|at \S+ \(|node_modules/);
    await waitFor(() => behindProxy.output().includes(`"address":"${OUTSIDE}","reason":"network"`), 5_000);
    // What the client wrote before the proxy's own entry is not its address.
    expectRefusal(await get(behindProxy, "/back-office/login", { "x-forwarded-for": `127.0.0.1, ${OUTSIDE}` }), "spoofed");
  });

  it("refuses the back office however its path is written", async () => {
    for (const path of [
      "/back-office",
      "/back-office/",
      "/BACK-OFFICE/login",
      "/back%2Doffice/login",
      "/back%2doffice",
      "/%62ack-office/login",
      "/./back-office/login",
      "/lookup/../back-office/login",
      "/back-office/login?returnTo=%2F",
      "/back-office/no-such-page",
    ]) {
      expectRefusal(await get(behindProxy, path, { "x-forwarded-for": OUTSIDE }), path);
    }
  });

  it("answers the back office inside its networks, and residents' pages everywhere", async () => {
    const inside = await get(behindProxy, "/back-office/login", { "x-forwarded-for": "127.0.0.1" }, "127.0.0.2");
    expect(inside.status).toBe(200);
    expect(inside.body).toContain("<html");
    expect(inside.headers["cache-control"]).toContain("no-store");
    expect((await get(behindProxy, "/back-office/login")).status).toBe(200);
    for (const path of ["/", "/lookup"]) {
      const page = await get(behindProxy, path, { "x-forwarded-for": OUTSIDE });
      expect(page.status, path).toBe(200);
      expect(page.body, path).toContain("<html");
    }
  });

  it("without a proxy, believes no X-Forwarded-For: neither to refuse nor to let in", async () => {
    expect((await get(direct, "/back-office/login", { "x-forwarded-for": OUTSIDE })).status).toBe(200);
    expectRefusal(await get(direct, "/back-office/login", { "x-forwarded-for": "127.0.0.1" }, "127.0.0.2"), "from 127.0.0.2");
    await waitFor(() => direct.output().includes('"address":"127.0.0.2","reason":"network"'), 5_000);
    expect((await get(direct, "/lookup", {}, "127.0.0.2")).status).toBe(200);
  });
});
