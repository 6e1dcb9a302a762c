import { contentToSafeHtml, headingShift, markdownToSafeHtml, sanitize } from "./richText";

function dom(html: string): HTMLElement {
  const box = document.createElement("div");
  box.innerHTML = html;
  return box;
}

describe("sanitize", () => {
  it("never lets a script through, in any form", () => {
    const attacks = [
      "<script>alert(1)</script><p>ok</p>",
      '<img src="x" onerror="alert(1)">',
      '<a href="javascript:alert(1)">x</a>',
      '<svg><script>alert(1)</script></svg>',
      '<iframe src="https://evil.example"></iframe>',
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
      '<p style="color:red" onclick="steal()">styled</p>',
    ];
    for (const attack of attacks) {
      const out = sanitize(attack);
      expect(out).not.toMatch(/<script|onerror|onclick|javascript:|<iframe|style=/i);
    }
  });

  it("keeps the author's alt text and makes an image without one decorative", () => {
    const box = dom(sanitize('<img src="/a.png" alt="A fraction bar"><img src="/b.png">'));
    const [described, decorative] = Array.from(box.querySelectorAll("img"));
    expect(described.getAttribute("alt")).toBe("A fraction bar");
    expect(decorative.getAttribute("alt")).toBe("");
    expect(decorative.getAttribute("loading")).toBe("lazy");
  });

  it("drops form controls, and links stay in this window (no target)", () => {
    const box = dom(sanitize('<form><input name="q"><button>Go</button></form><a href="/x" target="_blank">x</a>'));
    expect(box.querySelector("form, input, button")).toBeNull();
    expect(box.querySelector("a")?.hasAttribute("target")).toBe(false);
  });

  it("moves headings under the page's h1", () => {
    const box = dom(sanitize("<h1>Title</h1><h2>Part</h2><h4>Deep</h4>"));
    expect(Array.from(box.querySelectorAll("h2, h3, h5")).map((h) => h.tagName)).toEqual(["H2", "H3", "H5"]);
    expect(box.querySelector("h1")).toBeNull();
    expect(dom(sanitize("<h3>Already low</h3>")).querySelector("h3")).not.toBeNull();
    expect(headingShift(["<h1>a</h1>", "<div><h2>b</h2></div>"])).toBe(1);
    expect(headingShift(["<p>none</p>"])).toBe(0);
  });
});

describe("markdown and content", () => {
  it("renders Markdown and sanitizes what it lets through", () => {
    const box = dom(markdownToSafeHtml("# Fractions\n\nA **half** is ![one of two](/half.png).\n\n<script>alert(1)</script>"));
    expect(box.querySelector("h2")?.textContent).toBe("Fractions");
    expect(box.querySelector("strong")?.textContent).toBe("half");
    expect(box.querySelector("img")?.getAttribute("alt")).toBe("one of two");
    expect(box.innerHTML).not.toMatch(/<script/i);
  });

  it("reads HTML as HTML and anything else as Markdown", () => {
    expect(contentToSafeHtml("<p>*not emphasis*</p>")).toBe("<p>*not emphasis*</p>");
    expect(dom(contentToSafeHtml("*emphasis*")).querySelector("em")?.textContent).toBe("emphasis");
    expect(contentToSafeHtml("")).toBe("");
  });
});
