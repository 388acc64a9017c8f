// For admins: which prompts are used, by which teams and clients, over a chosen period.
import { useEffect, useState } from "react";
import type { UsageSummary } from "../api/client";
import { Link, navigate, useLocation, withQuery } from "../router";
import { useApi, useSession } from "../session";
import { BarChart } from "./BarChart";
import { ErrorNotice } from "./ErrorNotice";
import { NotFound } from "./NotFound";

const PERIODS: Record<string, { label: string; seconds: number | null }> = {
  day: { label: "Last 24 hours", seconds: 86_400 },
  week: { label: "Last 7 days", seconds: 7 * 86_400 },
  month: { label: "Last 30 days", seconds: 30 * 86_400 },
  all: { label: "All time", seconds: null },
};

export function UsagePage() {
  const api = useApi();
  const session = useSession();
  const { query } = useLocation();
  const period = PERIODS[query.get("period") ?? ""] ? (query.get("period") as string) : "week";
  const [summary, setSummary] = useState<UsageSummary | null>(null);
  const [error, setError] = useState<unknown>(null);
  const admin = session.role === "admin";

  useEffect(() => {
    if (!admin) return;
    const seconds = PERIODS[period]!.seconds;
    const since = seconds === null ? null : Math.floor(Date.now() / 1000) - seconds;
    setSummary(null);
    api.usageSummary(since, 10).then((s) => {
      setSummary(s);
      setError(null);
    }, setError);
  }, [api, admin, period]);

  if (!admin) return <NotFound />;
  return (
    <section aria-labelledby="usage-heading">
      <h1 id="usage-heading">Usage</h1>
      <label className="period">
        Period{" "}
        <select value={period} onChange={(e) => navigate(withQuery("/usage", { period: e.target.value }), { replace: true })}>
          {Object.entries(PERIODS).map(([key, p]) => (
            <option key={key} value={key}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      {error !== null && <ErrorNotice error={error} />}
      {summary && (
        <>
          <p role="status">
            {summary.total} {summary.total === 1 ? "use" : "uses"} in this period.
          </p>
          <div className="charts">
            <BarChart title="Top prompts" bars={summary.top_prompts.map((p) => ({ label: p.prompt_id, value: p.count }))} />
            <BarChart title="Per team" bars={summary.per_team.map((t) => ({ label: t.team, value: t.count }))} />
            <BarChart title="Per client type" bars={summary.per_client_type.map((c) => ({ label: c.client_type, value: c.count }))} />
          </div>
          {summary.render_error_rates.length > 0 && (
            <section aria-labelledby="errors-heading">
              <h2 id="errors-heading">Render errors</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Prompt</th>
                    <th scope="col">Renders</th>
                    <th scope="col">Errors</th>
                    <th scope="col">Rate</th>
                  </tr>
                </thead>
                <tbody>
                  {summary.render_error_rates.map((r) => (
                    <tr key={r.prompt_id}>
                      <td>
                        <Link to={`/p/${r.prompt_id}`}>{r.prompt_id}</Link>
                      </td>
                      <td>{r.renders}</td>
                      <td>{r.errors}</td>
                      <td>{(r.error_rate * 100).toFixed(1)} %</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
        </>
      )}
    </section>
  );
}
