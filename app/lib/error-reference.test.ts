import { describe, expect, it } from "vitest";
import { errorReference, withErrorReference } from "./error-reference";

describe("error references", () => {
  const dataRequest = "5f0c1e2a-8d3b-4c55-9e61-0a7b2c3d4e5f";

  it("reads back the id of the data request that failed, not the document's", () => {
    const error = new Error(withErrorReference("Unexpected Server Error", dataRequest));
    expect(errorReference(error, "document-request-id", false)).toBe(dataRequest);
    expect(errorReference(error, "document-request-id", true)).toBe(dataRequest);
  });

  it("uses the document's id only on the page the server rendered", () => {
    expect(errorReference(new Error("Unexpected Server Error"), "document-request-id", true)).toBe("document-request-id");
    expect(errorReference(new Error("Unexpected Server Error"), "document-request-id", false)).toBeNull();
    expect(errorReference("not an error", "", true)).toBeNull();
  });

  it("tags a message once, however often it passes through", () => {
    const once = withErrorReference("boom", dataRequest);
    expect(withErrorReference(once, "another-request-id")).toBe("boom [ref another-request-id]");
  });

  it("ignores text that only looks like a tag", () => {
    expect(errorReference(new Error("boom [ref <script>]"), "", false)).toBeNull();
  });
});
