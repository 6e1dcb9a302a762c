import { useEffect, useRef, useState } from "react";
import { useIntl } from "react-intl";
import { useAuth } from "@/auth/session";
import { Button, Field, Notice } from "@/design/components";
import { enqueue } from "@/offline";
import { markdownToSafeHtml } from "../content/richText";
import type { Activity } from "../types";
import {
  answer,
  assignmentItems,
  awaitingGrade,
  findWork,
  finish,
  getSitting,
  getSubmission,
  latestSitting,
  mySubmissions,
  openSitting,
  outcomeOf,
  pollUntil,
  submissionSettled,
  submitEssay,
  type Assignment,
  type Item,
  type Sitting,
  type Submission,
} from "../written";
import { OutcomeView } from "./Outcome";
import { ActivityText } from "./PagePlayer";
import "./players.css";

function words(text: string): number {
  return text.trim() ? text.trim().split(/\s+/).length : 0;
}

function Prompt({ item }: { item: Item | null }) {
  if (!item) return null;
  return <div className="pw-prose" dangerouslySetInnerHTML={{ __html: markdownToSafeHtml(item.stem, { topLevel: 3 }) }} />;
}

function EssayField({ value, onChange, isDisabled }: { value: string; onChange: (v: string) => void; isDisabled: boolean }) {
  const intl = useIntl();
  return (
    <div className="pw-essay">
      <Field
        label={intl.formatMessage({ id: "essay.field" })}
        description={intl.formatMessage({ id: "essay.words" }, { count: words(value) })}
        multiline
        rows={14}
        value={value}
        onChange={onChange}
        isDisabled={isDisabled}
      />
    </div>
  );
}

/** A number from a report field, if it is one. */
function num(report: Record<string, unknown>, key: string): number | null {
  const value = report[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * A submission as the learner may read it: its grading state, the released score, and the essay
 * model's rubric score and confidence from the report; "review" means flagged for an instructor.
 */
function SubmissionView({ submission }: { submission: Submission }) {
  const intl = useIntl();
  const report = (submission.report ?? {}) as Record<string, unknown>;
  const points = num(report, "rubric_score");
  const max = num(report, "max_score");
  const confidence = num(report, "confidence");
  const model =
    points !== null && max !== null
      ? intl.formatMessage(
          { id: confidence !== null ? "essay.modelScoreConfidence" : "essay.modelScore" },
          { points, max, confidence: intl.formatNumber(confidence ?? 0, { style: "percent", maximumFractionDigits: 0 }) },
        )
      : null;
  const submitted = intl.formatDate(submission.submitted_at, { dateStyle: "medium", timeStyle: "short" });
  if (submission.status === "queued" || submission.status === "grading") {
    return <Notice>{intl.formatMessage({ id: "essay.grading" }, { submitted })}</Notice>;
  }
  if (submission.status === "review") {
    return (
      <Notice tone="warning">
        <p>
          <strong>{intl.formatMessage({ id: "essay.flagged" })}</strong>
        </p>
        {model && <p>{intl.formatMessage({ id: "essay.provisional" }, { model })}</p>}
      </Notice>
    );
  }
  const score = intl.formatNumber(submission.score ?? 0, { style: "percent", maximumFractionDigits: 0 });
  return (
    <Notice tone="success">
      <p>
        <strong>{intl.formatMessage({ id: "essay.scored" }, { score })}</strong>
      </p>
      {model && <p>{model}</p>}
      {submission.penalty > 0 && (
        <p>{intl.formatMessage({ id: "essay.late" }, { days: submission.late_days, penalty: intl.formatNumber(submission.penalty, { style: "percent" }) })}</p>
      )}
    </Notice>
  );
}

/** An essay assignment: the text goes in as the text file the assignment takes, graded in the background. */
function AssignmentEssay({ activity, assignment }: { activity: Activity; assignment: Assignment }) {
  const intl = useIntl();
  const [item, setItem] = useState<Item | null>(null);
  const [submissions, setSubmissions] = useState<Submission[]>([]);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [kept, setKept] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const poller = useRef<AbortController | null>(null);

  /** Offline, the essay waits in the device's outbox and is submitted through the sync API on reconnect. */
  const keep = async () => {
    await enqueue({ type: "submission", assignment_id: assignment.id, text, base_version: submissions.length });
    setKept(true);
    setText("");
  };

  const watch = async (submission: Submission) => {
    poller.current?.abort();
    const controller = new AbortController();
    poller.current = controller;
    const settled = await pollUntil(() => getSubmission(submission.id), submissionSettled, controller.signal);
    if (!controller.signal.aborted) setSubmissions((all) => all.map((s) => (s.id === settled.id ? settled : s)));
  };

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const [items, mine] = await Promise.all([assignmentItems(assignment.id), mySubmissions(assignment.id)]);
        if (!live) return;
        setItem(items[0] ?? null);
        setSubmissions(mine);
        const last = mine[mine.length - 1];
        if (last && !submissionSettled(last)) void watch(last);
      } catch (error) {
        if (live) setProblem(error instanceof Error ? error.message : String(error));
      }
    })();
    return () => {
      live = false;
      poller.current?.abort();
    };
  }, [assignment.id]);

  const submit = async () => {
    setBusy(true);
    setProblem(null);
    setKept(false);
    try {
      if (!navigator.onLine) {
        await keep();
        return;
      }
      const submission = await submitEssay(assignment.id, text);
      setSubmissions((all) => [...all, submission]);
      setText("");
      void watch(submission);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  const last = submissions[submissions.length - 1];
  const left = assignment.max_attempts - submissions.length;
  const due = intl.formatDate(assignment.due_at, { dateStyle: "medium", timeStyle: "short" });
  return (
    <div className="stack">
      <ActivityText activity={activity} />
      <Prompt item={item} />
      <p className="muted">{intl.formatMessage({ id: "essay.due" }, { due, left })}</p>
      <div aria-live="polite">
        {kept ? <Notice>{intl.formatMessage({ id: "essay.kept" })}</Notice> : last && <SubmissionView submission={last} />}
      </div>
      {left > 0 && (
        <>
          <EssayField value={text} onChange={setText} isDisabled={busy} />
          <div className="row">
            <Button onPress={() => void submit()} isDisabled={busy || !text.trim()}>
              {intl.formatMessage({ id: "essay.submit" })}
            </Button>
          </div>
        </>
      )}
      {problem && <Notice tone="danger">{intl.formatMessage({ id: "app.error" }, { detail: problem })}</Notice>}
    </div>
  );
}

/** An essay item in the activity's sitting: answered, then read back from the finished sitting once scored. */
function SittingEssay({ activity, assessmentId }: { activity: Activity; assessmentId: number }) {
  const intl = useIntl();
  const { me } = useAuth();
  const [sitting, setSitting] = useState<Sitting | null>(null);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const poller = useRef<AbortController | null>(null);
  const item = sitting?.items.find((i) => i.kind === "essay") ?? null;

  const watch = async (id: number) => {
    poller.current?.abort();
    const controller = new AbortController();
    poller.current = controller;
    setWaiting(true);
    const graded = await pollUntil(() => getSitting(id), (s) => !awaitingGrade(s), controller.signal);
    if (controller.signal.aborted) return;
    setSitting(graded);
    setWaiting(false);
  };

  useEffect(() => {
    if (!me) return;
    let live = true;
    (async () => {
      try {
        const current = (await latestSitting(me.id, assessmentId)) ?? (await openSitting(assessmentId));
        if (!live) return;
        setSitting(current);
        if (awaitingGrade(current)) void watch(current.id);
      } catch (error) {
        if (live) setProblem(error instanceof Error ? error.message : String(error));
      }
    })();
    return () => {
      live = false;
      poller.current?.abort();
    };
  }, [assessmentId, me]);

  const submit = async () => {
    if (!sitting || !item) return;
    setBusy(true);
    setProblem(null);
    try {
      const result = await answer(sitting.id, item.id, { text });
      const done = result.finished ? await getSitting(sitting.id) : result.next_item ? sitting : await finish(sitting.id);
      setSitting(done);
      if (done.status === "finished") void watch(done.id);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  const again = async () => {
    try {
      setSitting(await openSitting(assessmentId));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };

  if (!sitting) return problem ? <Notice tone="danger">{problem}</Notice> : <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  const finished = sitting.status === "finished";
  return (
    <div className="stack">
      <ActivityText activity={activity} />
      <Prompt item={item} />
      {!finished && (
        <>
          <EssayField value={text} onChange={setText} isDisabled={busy} />
          <div className="row">
            <Button onPress={() => void submit()} isDisabled={busy || !text.trim() || !item}>
              {intl.formatMessage({ id: "essay.submit" })}
            </Button>
          </div>
        </>
      )}
      <div aria-live="polite">
        {waiting && <p aria-busy="true">{intl.formatMessage({ id: "essay.waiting" })}</p>}
        {finished && !waiting && item && <OutcomeView outcome={outcomeOf(sitting, item.id)} kind="essay" />}
      </div>
      {finished && !waiting && (sitting.attempts_left ?? 1) > 0 && (
        <div className="row">
          <Button variant="secondary" onPress={() => void again()}>
            {intl.formatMessage({ id: "essay.again" })}
          </Button>
        </div>
      )}
      {problem && <Notice tone="danger">{intl.formatMessage({ id: "app.error" }, { detail: problem })}</Notice>}
    </div>
  );
}

/**
 * An essay, scored by the essay model with the review flag as the API shows it: an essay assignment
 * when the activity has one (submissions carry their state, score and the model's report), otherwise
 * the essay item of the activity's assessment.
 */
export default function EssayPlayer({ activity }: { activity: Activity }) {
  const intl = useIntl();
  const [work, setWork] = useState<Awaited<ReturnType<typeof findWork>> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    findWork(activity).then(
      (found) => live && setWork(found),
      (error: unknown) => live && setProblem(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      live = false;
    };
  }, [activity]);
  if (problem) return <Notice tone="danger">{intl.formatMessage({ id: "app.error" }, { detail: problem })}</Notice>;
  if (!work) return <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  if (work.assignment) return <AssignmentEssay activity={activity} assignment={work.assignment} />;
  if (work.assessmentId !== null) return <SittingEssay activity={activity} assessmentId={work.assessmentId} />;
  return (
    <div className="stack">
      <ActivityText activity={activity} />
      <Notice tone="warning">{intl.formatMessage({ id: "essay.missing" })}</Notice>
    </div>
  );
}
