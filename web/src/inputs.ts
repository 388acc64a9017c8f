// The input form's model: a field for each declared input (from its JSON Schema), the raw values
// the user typed, and the values sent to :render, checked as the user types. The server checks
// them again; its 422 field errors are shown on the same fields.

export type Schema = Record<string, unknown>;

export type FieldKind = "line" | "text" | "number" | "integer" | "boolean" | "choice" | "choices" | "list" | "json";

export interface Field {
  name: string;
  kind: FieldKind;
  label: string;
  description: string;
  required: boolean;
  options: string[];
  schema: Schema;
}

/** What the user has typed: text for most fields, a flag for a checkbox, picks for choices. */
export type Raw = string | boolean | string[];

const LONG_NAMES = /(text|code|diff|content|body|log|context|notes|document|source|transcript|message|details|draft|email|prompt|input|report|results|question|summary|instructions|requirements|data)s?$/i;

function jsonType(schema: Schema): string | undefined {
  const type = schema.type;
  if (Array.isArray(type)) return type.find((t) => t !== "null") as string | undefined;
  return typeof type === "string" ? type : undefined;
}

function isLong(name: string, schema: Schema): boolean {
  if (schema["x-multiline"] === true) return true;
  if (typeof schema.maxLength === "number") return schema.maxLength > 200;
  if (typeof schema.default === "string" && schema.default.includes("\n")) return true;
  return LONG_NAMES.test(name);
}

export function fieldsOf(inputs: Record<string, Schema>): Field[] {
  return Object.entries(inputs).map(([name, schema]) => {
    const type = jsonType(schema);
    const items = (schema.items ?? {}) as Schema;
    const enumOf = (s: Schema) => (Array.isArray(s.enum) ? s.enum.map(String) : []);
    let kind: FieldKind;
    let options: string[] = [];
    if (enumOf(schema).length) {
      kind = "choice";
      options = enumOf(schema);
    } else if (type === "boolean") kind = "boolean";
    else if (type === "integer") kind = "integer";
    else if (type === "number") kind = "number";
    else if (type === "array" && enumOf(items).length) {
      kind = "choices";
      options = enumOf(items);
    } else if (type === "array") kind = "list";
    else if (type === "object") kind = "json";
    else kind = isLong(name, schema) ? "text" : "line";
    return {
      name,
      kind,
      label: typeof schema.title === "string" ? schema.title : name,
      description: typeof schema.description === "string" ? schema.description : "",
      required: schema.required === true,
      options,
      schema,
    };
  });
}

/** The value a field starts with: its default, shown as the user would type it. */
export function initialRaw(field: Field): Raw {
  const value = field.schema.default;
  switch (field.kind) {
    case "boolean":
      return value === true;
    case "choices":
      return Array.isArray(value) ? value.map(String) : [];
    case "list":
      return Array.isArray(value) ? value.map(String).join("\n") : "";
    case "json":
      return value === undefined ? "" : JSON.stringify(value, null, 2);
    default:
      return value === undefined || value === null ? "" : String(value);
  }
}

interface Parsed {
  value?: unknown;
  error?: string;
}

function parse(field: Field, raw: Raw): Parsed {
  switch (field.kind) {
    case "boolean":
      return { value: raw === true };
    case "choices":
      return (raw as string[]).length ? { value: raw } : {};
    case "integer":
    case "number": {
      const text = String(raw).trim();
      if (!text) return {};
      const number = Number(text);
      if (!Number.isFinite(number)) return { error: "enter a number" };
      if (field.kind === "integer" && !Number.isInteger(number)) return { error: "enter a whole number" };
      return { value: number };
    }
    case "list": {
      const lines = String(raw).split("\n").map((l) => l.trim()).filter(Boolean);
      if (!lines.length) return {};
      const itemType = jsonType((field.schema.items ?? {}) as Schema);
      if (itemType === "number" || itemType === "integer") {
        const numbers = lines.map(Number);
        if (numbers.some((n) => !Number.isFinite(n))) return { error: "enter one number a line" };
        return { value: numbers };
      }
      return { value: lines };
    }
    case "json": {
      const text = String(raw).trim();
      if (!text) return {};
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: "not valid JSON" };
      }
    }
    default: {
      const text = String(raw);
      return text === "" ? {} : { value: text };
    }
  }
}

function check(field: Field, value: unknown): string | undefined {
  const s = field.schema;
  if (typeof value === "string") {
    if (typeof s.minLength === "number" && value.length < s.minLength) return `at least ${s.minLength} characters`;
    if (typeof s.maxLength === "number" && value.length > s.maxLength) return `at most ${s.maxLength} characters`;
    if (typeof s.pattern === "string") {
      try {
        if (!new RegExp(s.pattern, "u").test(value)) return `must match ${s.pattern}`;
      } catch {
        return undefined; // a pattern JavaScript cannot read: the server checks it
      }
    }
  }
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) return `at least ${s.minimum}`;
    if (typeof s.maximum === "number" && value > s.maximum) return `at most ${s.maximum}`;
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) return `pick or enter at least ${s.minItems}`;
    if (typeof s.maxItems === "number" && value.length > s.maxItems) return `at most ${s.maxItems}`;
  }
  return undefined;
}

export interface Checked {
  inputs: Record<string, unknown>;
  errors: Record<string, string>;
}

/** The inputs to send and what is wrong with each field; a field left empty is left out, so
 * the prompt's default applies. */
export function collect(fields: Field[], raw: Record<string, Raw>): Checked {
  const inputs: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const parsed = parse(field, raw[field.name] ?? initialRaw(field));
    if (parsed.error) errors[field.name] = parsed.error;
    else if (parsed.value === undefined) {
      if (field.required && field.schema.default === undefined) errors[field.name] = "required";
    } else {
      const problem = check(field, parsed.value);
      if (problem) errors[field.name] = problem;
      else inputs[field.name] = parsed.value;
    }
  }
  return { inputs, errors };
}
