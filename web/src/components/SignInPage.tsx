// Paste an API key, kept for this session or remembered on this computer.
import { useId, useState, type FormEvent } from "react";
import { platform } from "../platform";

export function SignInPage({ reason, onSignedIn }: { reason: string | null; onSignedIn: () => Promise<string | null> }) {
  const id = useId();
  const [why] = useState(reason); // why the user is here; a refused key is said on the field
  const [key, setKey] = useState("");
  const [remember, setRemember] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!key.trim()) {
      setProblem("Paste your API key first.");
      return;
    }
    setBusy(true);
    platform.saveKey(key.trim(), remember);
    const refused = await onSignedIn();
    setBusy(false);
    if (refused) {
      platform.forgetKey();
      setProblem(refused);
    }
  };

  return (
    <section aria-labelledby="signin-heading" className="signin">
      <h1 id="signin-heading">Sign in</h1>
      {why && (
        <div className="notice" role="alert">
          <p>The server asks for an API key: {why}.</p>
        </div>
      )}
      <p>An admin creates keys with <code>promptctl keys add</code>; each key sees what its role allows.</p>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-key`}>API key</label>
          <input
            id={`${id}-key`}
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? `${id}-problem` : undefined}
            autoFocus
          />
          {problem && (
            <p id={`${id}-problem`} className="error-text">
              {problem}
            </p>
          )}
        </div>
        <div className="field checkbox">
          <input id={`${id}-remember`} type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          <label htmlFor={`${id}-remember`}>{platform.rememberLabel}</label>
        </div>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </section>
  );
}
