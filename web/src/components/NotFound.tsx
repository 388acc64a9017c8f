import { Link } from "../router";

export function NotFound() {
  return (
    <section aria-labelledby="missing-heading">
      <h1 id="missing-heading">No such page</h1>
      <p>
        <Link to="/">Search the prompts</Link> or <Link to="/browse">browse them</Link>.
      </p>
    </section>
  );
}
