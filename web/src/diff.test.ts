import { describe, expect, it } from "vitest";
import { diffLines } from "./diff";

describe("diffLines", () => {
  it("pairs a changed line with its replacement and numbers each side", () => {
    const rows = diffLines("a\nb\nc", "a\nB\nc\nd");
    expect(rows).toEqual([
      { left: "a", right: "a", kind: "same", leftNumber: 1, rightNumber: 1 },
      { left: "b", right: "B", kind: "changed", leftNumber: 2, rightNumber: 2 },
      { left: "c", right: "c", kind: "same", leftNumber: 3, rightNumber: 3 },
      { left: null, right: "d", kind: "added", leftNumber: null, rightNumber: 4 },
    ]);
  });

  it("shows removed lines on the left only", () => {
    const rows = diffLines("a\nx\ny\nb", "a\nb");
    expect(rows.map((r) => r.kind)).toEqual(["same", "removed", "removed", "same"]);
    expect(rows[3]).toMatchObject({ leftNumber: 4, rightNumber: 2 });
  });

  it("says nothing differs for equal texts", () => {
    expect(diffLines("same\ntext", "same\ntext").every((r) => r.kind === "same")).toBe(true);
  });
});
