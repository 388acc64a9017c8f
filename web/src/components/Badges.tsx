import type { PromptSummary } from "../api/client";

/** Status, channel and scope, worded: only what differs from the usual is shown in lists. */
export function Badges({ prompt, all = false }: { prompt: PromptSummary; all?: boolean }) {
  return (
    <span className="badges">
      {(all || prompt.status !== "active") && (
        <span className={`badge status-${prompt.status}`}>{prompt.status}</span>
      )}
      {(all || prompt.channel !== "stable") && (
        <span className={`badge channel-${prompt.channel}`}>{prompt.channel}</span>
      )}
      {all && <span className="badge">scope: {prompt.scope}</span>}
    </span>
  );
}
