import { useIntl } from "react-intl";
import { Notice } from "@/design/components";
import type { ItemOutcome } from "../written";

/**
 * What the grader said about one written answer of a finished sitting: waiting, or the score with the
 * feedback lines (a failed test each for code; the essay model's note for an essay). Announced
 * politely (Notice is a status region) because it arrives while the learner waits.
 */
export function OutcomeView({ outcome, kind }: { outcome: ItemOutcome | null; kind: "code" | "essay" }) {
  const intl = useIntl();
  if (!outcome || outcome.status === "unanswered") return null;
  const feedback = outcome.feedback ?? [];
  if (outcome.status === "pending_review") {
    return (
      <Notice tone="info">
        <p>{intl.formatMessage({ id: `${kind}.pending` })}</p>
        {feedback.length > 0 && <Lines lines={feedback} />}
      </Notice>
    );
  }
  const score = intl.formatNumber(outcome.score ?? 0, { style: "percent", maximumFractionDigits: 0 });
  const full = (outcome.score ?? 0) >= 1;
  return (
    <Notice tone={full ? "success" : "warning"}>
      <p>
        <strong>{intl.formatMessage({ id: `${kind}.scored` }, { score })}</strong>
      </p>
      {kind === "code" && full && <p>{intl.formatMessage({ id: "code.allPassed" })}</p>}
      {feedback.length > 0 && (
        <>
          {kind === "code" && <p>{intl.formatMessage({ id: "code.failedTests" }, { count: feedback.length })}</p>}
          <Lines lines={feedback} />
        </>
      )}
    </Notice>
  );
}

function Lines({ lines }: { lines: string[] }) {
  return (
    <ul className="pw-result-list">
      {lines.map((line, i) => (
        <li key={i}>{line}</li>
      ))}
    </ul>
  );
}
