import { describe, expect, it } from "vitest";
import { FORM_MAX_BYTES, readForm } from "./form.server";

const post = (body: BodyInit, type: string | null, headers: Record<string, string> = {}) =>
  new Request("http://portal.test/contact", { method: "POST", body, headers: { ...(type ? { "content-type": type } : {}), ...headers } });

/** The status of the Response readForm throws, or "read" when it reads a form. */
async function outcome(request: Request): Promise<number | "read"> {
  try {
    await readForm(request);
    return "read";
  } catch (thrown) {
    if (thrown instanceof Response) return thrown.status;
    throw thrown;
  }
}

describe("reading a posted form", () => {
  it("reads urlencoded and multipart forms, with CJK and emoji as sent", async () => {
    const form = await readForm(
      post("name=%E6%9E%97%E7%BE%8E%E8%8A%AF&x=%F0%9F%92%B8&x=2", "application/x-www-form-urlencoded;charset=UTF-8"),
    );
    expect(form.get("name")).toBe("林美芯");
    expect(form.getAll("x")).toEqual(["💸", "2"]);
    const multipart = new FormData();
    multipart.append("message", "付款後沒有收到收據");
    expect((await readForm(new Request("http://portal.test/contact", { method: "POST", body: multipart }))).get("message")).toBe(
      "付款後沒有收到收據",
    );
  });

  it("drops NUL and broken characters, which PostgreSQL would refuse", async () => {
    const form = await readForm(post("name=a%00b&%00key=1&bytes=%FF%C3%28", "application/x-www-form-urlencoded"));
    expect(form.get("name")).toBe("ab");
    expect(form.get("key")).toBe("1");
    expect(form.get("bytes")).toBe("\uFFFD\uFFFD(");
  });

  it.each([
    ["JSON", '{"a":1}', "application/json"],
    ["plain text", "a=1", "text/plain"],
    ["XML", "<a>1</a>", "application/xml"],
    ["no content type", "a=1", null],
    ["multipart without a boundary", "--x\r\n", "multipart/form-data"],
    [
      "multipart with another boundary",
      '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n',
      "multipart/form-data; boundary=a",
    ],
  ])("refuses %s with 400", async (_name, body, type) => {
    expect(await outcome(post(body, type))).toBe(400);
  });

  it("refuses a body larger than any of the portal's forms with 413, declared or not", async () => {
    const big = `message=${"x".repeat(FORM_MAX_BYTES)}`;
    expect(await outcome(post(big, "application/x-www-form-urlencoded"))).toBe(413);
    // Streamed without a length, as a chunked upload is.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode(`a=${"y".repeat(FORM_MAX_BYTES / 4)}&`));
        controller.close();
      },
    });
    expect(
      await outcome(
        new Request("http://portal.test/contact", {
          method: "POST",
          body: stream,
          duplex: "half",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        } as RequestInit),
      ),
    ).toBe(413);
  });
});
