import { describe, expect, it } from "vitest";
import { oncePerRequest, requestScope } from "./request-scope.server";

function inRequest<T>(work: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => requestScope({} as never, {} as never, () => void work().then(resolve, reject)));
}

describe("values computed once per request", () => {
  it("answers every loader of one request from one computation, and each request from its own", async () => {
    let computed = 0;
    const lookUp = () => oncePerRequest("member-session|a", async () => ++computed);
    const [first, second] = await inRequest(() => Promise.all([lookUp(), lookUp()]));
    expect([first, second]).toEqual([1, 1]);
    expect(await inRequest(lookUp)).toBe(2);
  });

  it("computes every time outside a request (tests, the command line)", async () => {
    let computed = 0;
    oncePerRequest("k", () => ++computed);
    oncePerRequest("k", () => ++computed);
    expect(computed).toBe(2);
  });
});
