// The prompt's inputs as a form, generated from their JSON Schemas and checked as the user
// types; the server's own field errors (a 422 from :render) show on the same fields.
import { useEffect, useId, useMemo, useState, type FormEvent, type KeyboardEvent } from "react";
import { collect, fieldsOf, initialRaw, type Field, type Raw, type Schema } from "../inputs";

interface Props {
  inputs: Record<string, Schema>;
  serverErrors: Record<string, string>;
  onRender: (inputs: Record<string, unknown>) => void;
  onChange?: (inputs: Record<string, unknown> | null) => void;
  busy?: boolean;
  disabled?: boolean;
}

export function InputForm({ inputs, serverErrors, onRender, onChange, busy = false, disabled = false }: Props) {
  const id = useId();
  const fields = useMemo(() => fieldsOf(inputs), [inputs]);
  const [raw, setRaw] = useState<Record<string, Raw>>(() => Object.fromEntries(fields.map((f) => [f.name, initialRaw(f)])));
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const checked = collect(fields, raw);

  useEffect(() => {
    // What the form holds before any change: the defaults (copy works at once when they do).
    const first = collect(fields, Object.fromEntries(fields.map((f) => [f.name, initialRaw(f)])));
    onChange?.(Object.keys(first.errors).length ? null : first.inputs);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, for this form's fields
  }, [fields]);

  const change = (name: string, value: Raw) => {
    const next = { ...raw, [name]: value };
    setRaw(next);
    setTouched((t) => new Set(t).add(name));
    const result = collect(fields, next);
    onChange?.(Object.keys(result.errors).length ? null : result.inputs);
  };

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    setSubmitted(true);
    if (Object.keys(checked.errors).length === 0) onRender(checked.inputs);
  };

  const keyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  };

  const errorOf = (field: Field): string | undefined =>
    (touched.has(field.name) || submitted ? checked.errors[field.name] : undefined) ?? serverErrors[field.name];

  return (
    <form className="input-form" noValidate onSubmit={submit} onKeyDown={keyDown} aria-label="Inputs">
      {fields.length === 0 && <p>This prompt takes no inputs.</p>}
      {fields.map((field) => (
        <FieldInput
          key={field.name}
          id={`${id}-${field.name}`}
          field={field}
          value={raw[field.name] ?? initialRaw(field)}
          error={errorOf(field)}
          disabled={disabled}
          onChange={(value) => change(field.name, value)}
        />
      ))}
      {serverErrors.inputs && <p className="error-text">{serverErrors.inputs}</p>}
      <button type="submit" disabled={busy || disabled} aria-keyshortcuts="Control+Enter">
        {busy ? "Rendering…" : "Render"}
      </button>{" "}
      <span className="hint">Ctrl+Enter</span>
    </form>
  );
}

interface FieldProps {
  id: string;
  field: Field;
  value: Raw;
  error: string | undefined;
  disabled: boolean;
  onChange: (value: Raw) => void;
}

function FieldInput({ id, field, value, error, disabled, onChange }: FieldProps) {
  const describedBy = [field.description ? `${id}-description` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    disabled,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy,
    "aria-required": field.required || undefined,
    name: field.name,
  } as const;
  const label = (
    <>
      {field.label}
      {field.required && (
        <span className="required" aria-hidden="true">
          {" "}
          *
        </span>
      )}
      {field.required && <span className="visually-hidden"> (required)</span>}
    </>
  );
  let control;
  switch (field.kind) {
    case "boolean":
      return (
        <div className="field checkbox">
          <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(e.target.checked)} />
          <label htmlFor={id}>{label}</label>
          <Help id={id} field={field} error={error} />
        </div>
      );
    case "choices":
      return (
        <fieldset className="field" aria-describedby={describedBy} aria-invalid={error ? true : undefined}>
          <legend>{label}</legend>
          {field.options.map((option) => {
            const picked = (value as string[]).includes(option);
            return (
              <label key={option} className="choice">
                <input
                  type="checkbox"
                  name={field.name}
                  disabled={disabled}
                  checked={picked}
                  onChange={() => onChange(picked ? (value as string[]).filter((v) => v !== option) : [...(value as string[]), option])}
                />{" "}
                {option}
              </label>
            );
          })}
          <Help id={id} field={field} error={error} />
        </fieldset>
      );
    case "choice":
      control = (
        <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          {(!field.required || field.schema.default === undefined) && <option value="">{field.required ? "Choose…" : "(none)"}</option>}
          {field.options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      );
      break;
    case "number":
    case "integer":
      control = (
        <input
          type="number"
          inputMode={field.kind === "integer" ? "numeric" : "decimal"}
          step={field.kind === "integer" ? 1 : "any"}
          {...common}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case "line":
      control = <input type="text" {...common} value={String(value)} onChange={(e) => onChange(e.target.value)} />;
      break;
    default:
      control = (
        <textarea
          {...common}
          rows={field.kind === "text" ? 6 : 4}
          spellCheck={field.kind === "text"}
          placeholder={field.kind === "list" ? "One a line" : field.kind === "json" ? "JSON" : undefined}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {control}
      <Help id={id} field={field} error={error} />
    </div>
  );
}

function Help({ id, field, error }: { id: string; field: Field; error: string | undefined }) {
  return (
    <>
      {field.description && (
        <p id={`${id}-description`} className="field-description">
          {field.description}
          {field.schema.default !== undefined && field.kind !== "boolean" ? ` (default: ${JSON.stringify(field.schema.default)})` : ""}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="error-text">
          {field.label}: {error}
        </p>
      )}
    </>
  );
}
