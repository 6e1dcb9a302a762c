import { describe, expect, it } from "vitest";
import { tokenFromHash } from "./InvitePage";

describe("invitation link", () => {
  it("reads the token from the fragment, as the API writes the link", () => {
    expect(tokenFromHash("#token=q3Vb0m2Yl8sT4nR7cX1eH6wA9dK5fJ2g")).toBe("q3Vb0m2Yl8sT4nR7cX1eH6wA9dK5fJ2g");
    expect(tokenFromHash("token=abc-_123")).toBe("abc-_123");
  });

  it("finds none in an empty, cut or foreign fragment", () => {
    for (const hash of ["", "#", "#token=", "#token=%20", "#code=abc"]) expect(tokenFromHash(hash)).toBeNull();
  });
});
