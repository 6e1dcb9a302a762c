import { NotebookError, joinSource, readNotebook, stripAnsi } from "./notebook";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

function notebook(cells: unknown[], metadata: unknown = { language_info: { name: "python" } }) {
  return JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata, cells });
}

describe("readNotebook", () => {
  it("reads markdown, code and their outputs in order", () => {
    const nb = readNotebook(
      notebook([
        { cell_type: "markdown", metadata: {}, source: ["# Ratios\n", "\n", "Two *parts*."] },
        {
          cell_type: "code",
          execution_count: 3,
          metadata: {},
          source: ["x = 1\n", "print(x)"],
          outputs: [
            { output_type: "stream", name: "stdout", text: ["1\n"] },
            { output_type: "stream", name: "stdout", text: "2\n" },
            { output_type: "execute_result", execution_count: 3, data: { "text/plain": "'done'" }, metadata: {} },
          ],
        },
        { cell_type: "raw", metadata: {}, source: "raw text" },
      ]),
    );
    expect(nb.language).toBe("Python");
    expect(nb.cells.map((c) => c.kind)).toEqual(["markdown", "code", "raw"]);
    const [md, code] = nb.cells;
    expect(md.kind === "markdown" && md.html).toContain("<h2>Ratios</h2>");
    expect(md.kind === "markdown" && md.html).toContain("<em>parts</em>");
    if (code.kind !== "code") throw new Error("expected a code cell");
    expect(code.source).toBe("x = 1\nprint(x)");
    expect(code.number).toBe(1);
    expect(code.executionCount).toBe(3);
    expect(code.outputs).toEqual([
      { kind: "text", text: "1\n2\n", stream: "stdout" },
      { kind: "text", text: "'done'", stream: null },
    ]);
  });

  it("shows images with the cell's alt text, or names them after their cell", () => {
    const nb = readNotebook(
      notebook([
        { cell_type: "code", source: "plot()", metadata: { alt: "A rising line" }, outputs: [{ output_type: "display_data", data: { "image/png": PNG + "\n", "text/plain": "<Figure>" }, metadata: {} }] },
        { cell_type: "code", source: "plot()", metadata: {}, outputs: [{ output_type: "display_data", data: { "image/png": PNG }, metadata: {} }] },
        { cell_type: "code", source: "bad()", metadata: {}, outputs: [{ output_type: "display_data", data: { "image/png": "not base64 <script>" }, metadata: {} }] },
      ]),
      (n) => `Output of cell ${n}`,
    );
    const images = nb.cells.flatMap((c) => (c.kind === "code" ? c.outputs : []));
    expect(images[0]).toEqual({ kind: "image", src: `data:image/png;base64,${PNG}`, alt: "A rising line" });
    expect(images[1]).toMatchObject({ kind: "image", alt: "Output of cell 2" });
    expect(images).toHaveLength(2); // an image that is not base64 is left out
  });

  it("sanitizes HTML outputs and markdown cells: a script never survives", () => {
    const nb = readNotebook(
      notebook([
        { cell_type: "markdown", source: "<script>alert(1)</script>**bold**<img src=x onerror=alert(2)>" },
        {
          cell_type: "code",
          source: "df",
          outputs: [{ output_type: "execute_result", data: { "text/html": ["<table><tr><td>1</td></tr></table>", "<script>alert(3)</script>"], "text/plain": "df" } }],
        },
        { cell_type: "code", source: "x", outputs: [{ output_type: "display_data", data: { "application/javascript": "alert(4)" } }] },
      ]),
    );
    const html = JSON.stringify(nb);
    expect(html).not.toMatch(/<script|onerror|alert\(4\)/);
    expect(html).toContain("<table>");
    const last = nb.cells[2];
    expect(last.kind === "code" && last.outputs).toEqual([]);
  });

  it("shows errors without terminal colours", () => {
    const nb = readNotebook(
      notebook([{ cell_type: "code", source: "1/0", outputs: [{ output_type: "error", ename: "ZeroDivisionError", evalue: "division by zero", traceback: ["\u001b[0;31mZeroDivisionError\u001b[0m: division by zero"] }] }]),
    );
    const cell = nb.cells[0];
    expect(cell.kind === "code" && cell.outputs[0]).toEqual({ kind: "error", name: "ZeroDivisionError", text: "ZeroDivisionError: division by zero" });
  });

  it("names the language from the kernel and refuses what is not a notebook", () => {
    expect(readNotebook(notebook([], { kernelspec: { language: "julia" } })).language).toBe("Julia");
    expect(() => readNotebook("{not json")).toThrow(NotebookError);
    expect(() => readNotebook({ nbformat: 4 })).toThrow(NotebookError);
    expect(() => readNotebook({ nbformat: 3, cells: [] })).toThrow(/format 3/);
    expect(joinSource(["a", 1, "b"])).toBe("ab");
    expect(stripAnsi("\u001b[1;32mok\u001b[0m")).toBe("ok");
  });
});
