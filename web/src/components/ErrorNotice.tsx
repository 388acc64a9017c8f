// One place that words what went wrong with a call, for every page.
import { ApiError, OfflineError } from "../api/client";
import { Link } from "../router";

export function describe(error: unknown): string {
  if (error instanceof OfflineError) return "The server cannot be reached. Check that it is running, then try again.";
  if (error instanceof ApiError) {
    if (error.status === 404) return `Not found: ${error.message}`;
    if (error.status === 429) return `Too many requests: ${error.message}`;
    return error.message.charAt(0).toUpperCase() + error.message.slice(1);
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNotice({ error }: { error: unknown }) {
  return (
    <div className="notice error" role="alert">
      <p>{describe(error)}</p>
      {error instanceof ApiError && error.status === 401 && (
        <p>
          <Link to="/signin">Sign in with an API key</Link>
        </p>
      )}
    </div>
  );
}
