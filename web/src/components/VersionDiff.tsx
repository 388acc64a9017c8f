// Two versions of a prompt side by side: what it says (front matter that matters to a user,
// its inputs, its templates), line by line.
import { useEffect, useState } from "react";
import type { PromptDetail, VersionItem } from "../api/client";
import { diffLines } from "../diff";
import { Link, navigate, promptPath, useLocation, withQuery } from "../router";
import { useApi } from "../session";
import { ErrorNotice } from "./ErrorNotice";

/** The text of a version that the diff compares. */
export function documentOf(detail: PromptDetail): string {
  const lines = [
    `title: ${detail.title}`,
    `description: ${detail.description}`,
    `version: ${detail.version}`,
    `status: ${detail.status}`,
    `channel: ${detail.channel}`,
    `owners: ${detail.owners.join(", ")}`,
    `tags: ${detail.tags.join(", ")}`,
    `inputs: ${JSON.stringify(detail.inputs, null, 2)}`,
  ];
  for (const message of detail.messages) lines.push(`--- ${message.role} ---`, message.content);
  return lines.join("\n");
}

export function VersionDiff({ id }: { id: string }) {
  const api = useApi();
  const { query } = useLocation();
  const from = query.get("from");
  const to = query.get("to");
  const [versions, setVersions] = useState<VersionItem[]>([]);
  const [pair, setPair] = useState<[PromptDetail, PromptDetail] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.versions(id).then((items) => setVersions([...items].reverse()), setError);
  }, [api, id]);

  useEffect(() => {
    if (!from || !to) return;
    setPair(null);
    Promise.all([api.prompt(id, from), api.prompt(id, to)]).then(([a, b]) => {
      setPair([a, b]);
      setError(null);
    }, setError);
  }, [api, id, from, to]);

  const choose = (side: "from" | "to", value: string) => navigate(withQuery(`/diff/${id}`, { from, to, [side]: value }), { replace: true });
  const rows = pair ? diffLines(documentOf(pair[0]), documentOf(pair[1])) : [];
  const changed = rows.filter((r) => r.kind !== "same").length;

  return (
    <section aria-labelledby="diff-heading">
      <h1 id="diff-heading">
        Compare versions of <Link to={promptPath(id)}>{id}</Link>
      </h1>
      <div className="filters">
        {(["from", "to"] as const).map((side) => (
          <label key={side}>
            {side === "from" ? "From version" : "To version"}
            <select value={(side === "from" ? from : to) ?? ""} onChange={(e) => choose(side, e.target.value)}>
              <option value="">Choose…</option>
              {versions.map((v) => (
                <option key={v.commit + v.version} value={v.version}>
                  {v.version} · {v.date.slice(0, 10)}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
      {error !== null && <ErrorNotice error={error} />}
      {pair && (
        <>
          <p role="status">{changed === 0 ? "The two versions say the same." : `${changed} ${changed === 1 ? "line differs" : "lines differ"}.`}</p>
          <div className="diff-scroll" tabIndex={0} role="region" aria-label="Differences">
            <table className="diff">
              <caption className="visually-hidden">
                {id}: version {pair[0].version} on the left, {pair[1].version} on the right
              </caption>
              <thead>
                <tr>
                  <th scope="col" colSpan={2}>
                    {pair[0].version}
                  </th>
                  <th scope="col" colSpan={2}>
                    {pair[1].version}
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row, i) => (
                  <tr key={i} className={row.kind}>
                    <td className="line-number">{row.leftNumber ?? ""}</td>
                    <td className="left">{row.left === null ? "" : row.kind === "same" ? row.left : <del>{row.left}</del>}</td>
                    <td className="line-number">{row.rightNumber ?? ""}</td>
                    <td className="right">{row.right === null ? "" : row.kind === "same" ? row.right : <ins>{row.right}</ins>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
