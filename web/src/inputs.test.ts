import { describe, expect, it } from "vitest";
import { collect, fieldsOf, initialRaw, type Schema } from "./inputs";

const INPUTS: Record<string, Schema> = {
  code: { type: "string", description: "The diff", required: true },
  title: { type: "string", maxLength: 80 },
  strict: { type: "boolean", default: false },
  level: { type: "string", enum: ["minor", "major"], default: "minor" },
  count: { type: "integer", minimum: 1, maximum: 10, default: 3 },
  ratio: { type: "number" },
  focus: { type: "array", items: { enum: ["security", "style"] }, default: ["security"] },
  names: { type: "array", items: { type: "string" } },
  extra: { type: "object" },
  ticket: { type: "string", pattern: "^[A-Z]+-[0-9]+$" },
};

describe("fieldsOf", () => {
  it.each([
    ["code", "text"],
    ["title", "line"],
    ["strict", "boolean"],
    ["level", "choice"],
    ["count", "integer"],
    ["ratio", "number"],
    ["focus", "choices"],
    ["names", "list"],
    ["extra", "json"],
    ["ticket", "line"],
  ])("%s is a %s field", (name, kind) => {
    expect(fieldsOf(INPUTS).find((f) => f.name === name)?.kind).toBe(kind);
  });

  it("keeps required marks, descriptions and the declared order", () => {
    const fields = fieldsOf(INPUTS);
    expect(fields.map((f) => f.name)).toEqual(Object.keys(INPUTS));
    expect(fields[0]).toMatchObject({ required: true, description: "The diff" });
    expect(fields.filter((f) => f.required).map((f) => f.name)).toEqual(["code"]);
  });
});

describe("collect", () => {
  const fields = fieldsOf(INPUTS);
  const raw = (changes: Record<string, string | boolean | string[]>) => ({
    ...Object.fromEntries(fields.map((f) => [f.name, initialRaw(f)])),
    ...changes,
  });

  it("sends typed values and leaves empty fields out so defaults apply", () => {
    const { inputs, errors } = collect(fields, raw({ code: "-a\n+b", ratio: "0.5", names: "ada\n\n grace \n" }));
    expect(errors).toEqual({});
    expect(inputs).toEqual({
      code: "-a\n+b",
      strict: false,
      level: "minor",
      count: 3,
      ratio: 0.5,
      focus: ["security"],
      names: ["ada", "grace"],
    });
  });

  it.each([
    [{ code: "" }, "code", "required"],
    [{ code: "x", count: "2.5" }, "count", "enter a whole number"],
    [{ code: "x", count: "11" }, "count", "at most 10"],
    [{ code: "x", ratio: "abc" }, "ratio", "enter a number"],
    [{ code: "x", title: "t".repeat(81) }, "title", "at most 80 characters"],
    [{ code: "x", ticket: "abc" }, "ticket", "must match ^[A-Z]+-[0-9]+$"],
    [{ code: "x", extra: "{nope" }, "extra", "not valid JSON"],
  ])("%j: %s is %s", (changes, name, message) => {
    const { inputs, errors } = collect(fields, raw(changes));
    expect(errors[name]).toBe(message);
    expect(inputs).not.toHaveProperty(name);
  });
});
