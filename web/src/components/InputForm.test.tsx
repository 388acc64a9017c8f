import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { InputForm } from "./InputForm";

const INPUTS = {
  code: { type: "string", description: "The Python source or diff.", required: true },
  excited: { type: "boolean", default: false },
  tone: { type: "string", enum: ["plain", "friendly"], default: "plain" },
  max_findings: { type: "integer", minimum: 1, default: 10 },
  focus: { type: "array", items: { enum: ["security", "style"] }, default: ["security"] },
};

describe("InputForm", () => {
  it("labels every input, marks the required one and shows descriptions and defaults", () => {
    render(<InputForm inputs={INPUTS} serverErrors={{}} onRender={() => undefined} />);
    const code = screen.getByRole("textbox", { name: /code/ });
    expect(code).toHaveAttribute("aria-required", "true");
    expect(code).toHaveAccessibleDescription("The Python source or diff.");
    expect(screen.getByRole("checkbox", { name: "excited" })).not.toBeChecked();
    expect(screen.getByRole("combobox", { name: "tone" })).toHaveValue("plain");
    expect(screen.getByRole("spinbutton", { name: "max_findings" })).toHaveValue(10);
    expect(screen.getByRole("checkbox", { name: "security" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "style" })).not.toBeChecked();
  });

  it("checks as the user types and renders only valid inputs", async () => {
    const user = userEvent.setup();
    const onRender = vi.fn();
    render(<InputForm inputs={INPUTS} serverErrors={{}} onRender={onRender} />);
    await user.click(screen.getByRole("button", { name: "Render" }));
    expect(onRender).not.toHaveBeenCalled();
    expect(screen.getByRole("textbox", { name: /code/ })).toHaveAccessibleDescription(/code: required/);

    const count = screen.getByRole("spinbutton", { name: "max_findings" });
    await user.clear(count);
    await user.type(count, "0");
    expect(count).toHaveAttribute("aria-invalid", "true");
    expect(count).toHaveAccessibleDescription("max_findings: at least 1");
    await user.clear(count);
    await user.type(count, "3");
    expect(count).not.toHaveAttribute("aria-invalid");

    await user.type(screen.getByRole("textbox", { name: /code/ }), "print(1)");
    await user.click(screen.getByRole("checkbox", { name: "style" }));
    await user.selectOptions(screen.getByRole("combobox", { name: "tone" }), "friendly");
    await user.keyboard("{Control>}{Enter}{/Control}");
    expect(onRender).toHaveBeenCalledWith({
      code: "print(1)", excited: false, tone: "friendly", max_findings: 3, focus: ["security", "style"],
    });
  });

  it("shows the server's field errors on their fields", () => {
    render(<InputForm inputs={INPUTS} serverErrors={{ code: "must not be empty" }} onRender={() => undefined} />);
    expect(screen.getByRole("textbox", { name: /code/ })).toHaveAccessibleDescription(/code: must not be empty/);
  });
});
