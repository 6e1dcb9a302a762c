/**
 * A formative quiz with immediate, scaffolded feedback: the learner's sitting of the activity's
 * assessment, one item at a time; each answer is graded by the server (score with partial credit,
 * feedback on the distractor chosen, the next hint on request, tries left) and the learner's next
 * step is fetched again. Offline the sitting kept on the device is used: answers wait in the outbox
 * and are graded on reconnect (the device has no keys and grades nothing).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { useIntl } from "react-intl";
import { api, ok, problemText } from "@/api/client";
import { useAuth } from "@/auth/session";
import { Button, Notice, Progress } from "@/design/components";
import type { AnswerRow } from "@/offline/db";
import { useLive } from "@/offline/live";
import { OfflineUnavailable, answer, answersIn, keepSitting, openSitting } from "@/offline/quiz";
import type { Activity } from "../types";
import { ItemInput } from "./quiz/ItemInput";
import { NextStep } from "./quiz/NextStep";
import { currentItem, initialDraft, itemStates, toAnswer, type AnswerResult, type Draft, type Item, type Sitting } from "./quiz/logic";
import "./quiz/quiz.css";
import { useOnline } from "@/lib/useOnline";

type Load =
  | { phase: "loading" }
  | { phase: "ready"; sitting: Sitting; fromDevice: boolean }
  | { phase: "unavailable" }
  | { phase: "error"; detail: string };

export default function QuizPlayer({ activity }: { activity: Activity }) {
  const intl = useIntl();
  const { me } = useAuth();
  const assessmentId = activity.assessment_ids?.[0];
  const [load, setLoad] = useState<Load>({ phase: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!me || !assessmentId) return;
    let live = true;
    setLoad({ phase: "loading" });
    openSitting(me.id, activity.id, assessmentId).then(
      ({ sitting, fromDevice }) => live && setLoad({ phase: "ready", sitting, fromDevice }),
      (error: unknown) => {
        if (!live) return;
        if (error instanceof OfflineUnavailable) setLoad({ phase: "unavailable" });
        else setLoad({ phase: "error", detail: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [me, activity.id, assessmentId, attempt]);

  const intro = activity.content ? <div className="pw-prose" dangerouslySetInnerHTML={{ __html: activity.content }} /> : null;
  if (!assessmentId) {
    return (
      <div className="stack">
        {intro}
        <Notice>{intl.formatMessage({ id: "quiz.noQuiz" })}</Notice>
      </div>
    );
  }
  return (
    <div className="stack">
      {intro}
      {load.phase === "loading" && <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>}
      {load.phase === "unavailable" && <Notice tone="warning">{intl.formatMessage({ id: "quiz.notKept" })}</Notice>}
      {load.phase === "error" && <Notice tone="danger">{intl.formatMessage({ id: "app.error" }, { detail: load.detail })}</Notice>}
      {load.phase === "ready" && me && (
        <QuizSitting
          key={load.sitting.id}
          userId={me.id}
          activity={activity}
          initial={load.sitting}
          fromDevice={load.fromDevice}
          onRestart={() => setAttempt((n) => n + 1)}
        />
      )}
    </div>
  );
}

type Feedback =
  | { itemId: number; kind: "graded"; result: AnswerResult }
  | { itemId: number; kind: "queued" }
  | { itemId: number; kind: "rejected"; detail: string };

function QuizSitting({
  userId,
  activity,
  initial,
  fromDevice,
  onRestart,
}: {
  userId: number;
  activity: Activity;
  initial: Sitting;
  fromDevice: boolean;
  onRestart: () => void;
}) {
  const intl = useIntl();
  const online = useOnline();
  const [sitting, setSitting] = useState(initial);
  const rows = useLive<AnswerRow[] | null>(() => answersIn(userId, sitting.id), [userId, sitting.id], null);
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const [drafts, setDrafts] = useState<Record<number, Draft>>({});
  const [hints, setHints] = useState<Record<number, { shown: string[]; next: string | null }>>({});
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const questionRef = useRef<HTMLHeadingElement>(null);
  const feedbackRef = useRef<HTMLHeadingElement>(null);
  const focusQuestion = useRef(false);
  const shownAt = useRef(Date.now());

  const queued = rows?.filter((row) => row.state === "queued").length ?? 0;
  const graded = rows?.filter((row) => row.state !== "queued").length ?? 0;
  const item: Item | null = feedback ? (sitting.items.find((i) => i.id === feedback.itemId) ?? null) : rows ? currentItem(sitting, rows) : null;

  const save = useCallback(
    (next: Sitting) => {
      setSitting(next);
      void keepSitting(userId, activity.id, next);
    },
    [userId, activity.id],
  );

  // Back online with nothing left waiting: read the sitting as the server now has it (graded answers included).
  useEffect(() => {
    if (!online || queued > 0) return;
    let live = true;
    api.GET("/v1/sittings/{sitting_id}", { params: { path: { sitting_id: sitting.id } } }).then(
      (answer) => {
        if (live && answer.data) save(answer.data);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [online, queued, sitting.id, save]);

  useEffect(() => {
    shownAt.current = Date.now();
    if (focusQuestion.current) {
      focusQuestion.current = false;
      questionRef.current?.focus();
    }
  }, [item?.id, feedback]);

  useEffect(() => {
    if (feedback) feedbackRef.current?.focus();
  }, [feedback]);

  if (rows === null) return <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;

  const position = item ? sitting.items.findIndex((i) => i.id === item.id) + 1 : sitting.items.length;
  const draft = item ? (drafts[item.id] ?? initialDraft(item, String(sitting.id))) : {};
  const stemId = `quiz-stem-${item?.id ?? 0}`;

  const submit = async () => {
    if (!item) return;
    const body = toAnswer(item, draft);
    if (!body) {
      setMissing(true);
      return;
    }
    setMissing(false);
    setBusy(true);
    try {
      const { outcome } = await answer(userId, sitting.id, item.id, body, Date.now() - shownAt.current);
      if (outcome && outcome.outcome === "rejected") {
        setFeedback({ itemId: item.id, kind: "rejected", detail: outcome.problem?.detail ?? outcome.problem?.title ?? "" });
      } else if (outcome?.result) {
        const result = outcome.result as unknown as AnswerResult;
        setFeedback({ itemId: item.id, kind: "graded", result });
        setHints((all) => ({ ...all, [item.id]: { shown: all[item.id]?.shown ?? [], next: result.hint ?? null } }));
        save({ ...sitting, next_item: result.next_item ?? null, status: result.finished ? "finished" : sitting.status });
      } else {
        setFeedback({ itemId: item.id, kind: "queued" });
      }
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  const proceed = (retry: boolean) => {
    if (feedback && !retry) setDrafts(({ [feedback.itemId]: _done, ...rest }) => rest);
    focusQuestion.current = true;
    setFeedback(null);
  };

  const finish = async () => {
    setProblem(null);
    try {
      save(ok(await api.POST("/v1/sittings/{sitting_id}/finish", { params: { path: { sitting_id: sitting.id } } })));
    } catch (error) {
      setProblem(problemText(error, error instanceof Error ? error.message : String(error)));
    }
  };

  return (
    <section className="pw-quiz stack" aria-labelledby="quiz-title">
      <h2 id="quiz-title">{intl.formatMessage({ id: "quiz.title" })}</h2>
      {(!online || fromDevice) && (
        <Notice tone="info">{intl.formatMessage({ id: online ? "quiz.fromDevice" : "quiz.offline" })}</Notice>
      )}
      {problem && <Notice tone="danger">{intl.formatMessage({ id: "app.error" }, { detail: problem })}</Notice>}
      {item ? (
        <>
          <Progress
            label={intl.formatMessage({ id: "quiz.progress" })}
            value={(position - 1) / Math.max(1, sitting.items.length)}
            valueText={intl.formatMessage({ id: "quiz.position" }, { position, count: sitting.items.length })}
          />
          <form
            className="pw-quiz__item stack"
            aria-labelledby={`${stemId}-q`}
            onSubmit={(event) => {
              event.preventDefault();
              if (!feedback && !busy) void submit();
            }}
          >
            <h3 id={`${stemId}-q`} ref={questionRef} tabIndex={-1}>
              {intl.formatMessage({ id: "quiz.question" }, { position, count: sitting.items.length })}
            </h3>
            <p id={stemId} className="pw-quiz__stem">
              {item.stem}
            </p>
            <ItemInput
              item={item}
              draft={draft}
              onChange={(next) => {
                setMissing(false);
                setDrafts((all) => ({ ...all, [item.id]: next }));
              }}
              stemId={stemId}
              disabled={busy || feedback !== null}
            />
            {!feedback && hints[item.id]?.shown.length ? (
              <div className="pw-quiz__hints">
                <h4>{intl.formatMessage({ id: "quiz.hints" })}</h4>
                <ul>
                  {hints[item.id].shown.map((hint) => (
                    <li key={hint}>{hint}</li>
                  ))}
                </ul>
              </div>
            ) : null}
            {!feedback && (
              <div className="row">
                <Button type="submit" isDisabled={busy}>
                  {intl.formatMessage({ id: online ? "quiz.check" : "quiz.save" })}
                </Button>
              </div>
            )}
          </form>
        </>
      ) : (
        <Summary
          sitting={sitting}
          rows={rows}
          queued={queued}
          online={online}
          onFinish={() => void finish()}
          onRestart={onRestart}
        />
      )}
      <div role="status" className="pw-quiz__live">
        {missing && <p>{intl.formatMessage({ id: "quiz.answerFirst" })}</p>}
        {feedback && item && (
          <FeedbackView
            feedback={feedback}
            headingRef={feedbackRef}
            hint={hints[item.id]?.next ?? null}
            shown={hints[item.id]?.shown ?? []}
            onHint={() =>
              setHints((all) => {
                const mine = all[item.id];
                if (!mine?.next) return all;
                return { ...all, [item.id]: { shown: [...mine.shown, mine.next], next: null } };
              })
            }
            onNext={proceed}
          />
        )}
      </div>
      {(rows.length > 0 || !item) && <NextStep courseId={activity.course_id} skillIds={activity.skill_ids} version={graded} />}
    </section>
  );
}

function FeedbackView({
  feedback,
  headingRef,
  hint,
  shown,
  onHint,
  onNext,
}: {
  feedback: Feedback;
  headingRef: React.RefObject<HTMLHeadingElement | null>;
  hint: string | null;
  shown: string[];
  onHint: () => void;
  onNext: (retry: boolean) => void;
}) {
  const intl = useIntl();
  const hintRef = useRef<HTMLParagraphElement>(null);
  const revealed = useRef(false);
  useEffect(() => {
    // The hint button goes once pressed: focus moves to the hint it revealed, not to the page's start.
    if (revealed.current && shown.length > 0) hintRef.current?.focus();
    revealed.current = false;
  }, [shown.length]);
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  if (feedback.kind === "queued") {
    return (
      <div className="pw-feedback pw-feedback--queued stack">
        <h3 ref={headingRef} tabIndex={-1}>
          <span aria-hidden="true">⏳ </span>
          {t("quiz.savedTitle")}
        </h3>
        <p>{t("quiz.savedText")}</p>
        <div className="row">
          <Button onPress={() => onNext(false)}>{t("quiz.next")}</Button>
        </div>
      </div>
    );
  }
  if (feedback.kind === "rejected") {
    return (
      <div className="pw-feedback pw-feedback--wrong stack">
        <h3 ref={headingRef} tabIndex={-1}>
          {t("quiz.rejectedTitle")}
        </h3>
        <p>{feedback.detail}</p>
        <div className="row">
          <Button onPress={() => onNext(false)}>{t("quiz.next")}</Button>
        </div>
      </div>
    );
  }
  const { result } = feedback;
  const retry = !result.correct && result.tries_left > 0;
  const score = result.score ?? null;
  const verdict =
    result.status === "pending_review"
      ? "pending"
      : result.correct
        ? "correct"
        : score !== null && score > 0
          ? "partial"
          : "wrong";
  const mark = { correct: "✓", partial: "◐", wrong: "✗", pending: "⏳" }[verdict];
  return (
    <div className={`pw-feedback pw-feedback--${verdict} stack`}>
      <h3 ref={headingRef} tabIndex={-1}>
        <span aria-hidden="true">{mark} </span>
        {t(`quiz.verdict.${verdict}`)}
      </h3>
      {score !== null && <p>{t("quiz.score", { score: intl.formatNumber(score, { style: "percent", maximumFractionDigits: 0 }) })}</p>}
      {(result.feedback ?? []).length > 0 && (
        <ul className="pw-feedback__notes">
          {(result.feedback ?? []).map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
      {verdict !== "pending" && <p>{t("quiz.triesLeft", { count: result.tries_left })}</p>}
      {retry && shown.length > 0 && (
        <p ref={hintRef} tabIndex={-1} className="pw-feedback__hint">
          {t("quiz.hintShown", { hint: shown[shown.length - 1] })}
        </p>
      )}
      <div className="row">
        {retry && hint && (
          <Button
            variant="secondary"
            onPress={() => {
              revealed.current = true;
              onHint();
            }}
          >
            {t("quiz.showHint")}
          </Button>
        )}
        {retry ? (
          <Button onPress={() => onNext(true)}>{t("quiz.tryAgain")}</Button>
        ) : (
          <Button onPress={() => onNext(false)}>{t(result.next_item ? "quiz.next" : "quiz.seeResults")}</Button>
        )}
      </div>
    </div>
  );
}

function Summary({
  sitting,
  rows,
  queued,
  online,
  onFinish,
  onRestart,
}: {
  sitting: Sitting;
  rows: AnswerRow[];
  queued: number;
  online: boolean;
  onFinish: () => void;
  onRestart: () => void;
}) {
  const intl = useIntl();
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const states = itemStates(sitting, rows);
  const percent = (value: number) => intl.formatNumber(value, { style: "percent", maximumFractionDigits: 0 });
  const finished = sitting.status !== "open";
  return (
    <div className="stack pw-quiz__summary">
      <h3>{t("quiz.summary")}</h3>
      {queued > 0 && <Notice tone="info">{t("quiz.waitingCount", { count: queued })}</Notice>}
      {finished && sitting.score !== null && (
        <p className="pw-quiz__total">
          {t(sitting.passed === false ? "quiz.totalNotPassed" : sitting.passed ? "quiz.totalPassed" : "quiz.total", {
            score: percent(sitting.score),
          })}
        </p>
      )}
      <ol className="pw-quiz__results">
        {sitting.items.map((item, index) => {
          const state = states.get(item.id) ?? { kind: "unanswered" as const };
          let text: string;
          switch (state.kind) {
            case "graded":
              text = state.pendingReview
                ? t("quiz.result.pending")
                : state.correct
                  ? t("quiz.result.correct", { score: percent(state.score ?? 1) })
                  : (state.score ?? 0) > 0
                    ? t("quiz.result.partial", { score: percent(state.score ?? 0) })
                    : t("quiz.result.wrong", { score: percent(state.score ?? 0) });
              break;
            case "queued":
              text = t("quiz.result.queued");
              break;
            case "rejected":
              text = t("quiz.result.rejected", { detail: state.problem ?? "" });
              break;
            case "earlier":
              text = t("quiz.result.earlier");
              break;
            default:
              text = t("quiz.result.unanswered");
          }
          return (
            <li key={item.id} className="pw-quiz__result" data-state={state.kind}>
              <span className="pw-quiz__result-stem">{t("quiz.question", { position: index + 1, count: sitting.items.length })}: {item.stem}</span>
              <span className="pw-quiz__result-state">{text}</span>
              {state.kind === "graded" && state.feedback.length > 0 && <span className="muted">{state.feedback.join(" ")}</span>}
            </li>
          );
        })}
      </ol>
      <div className="row">
        {!finished && online && queued === 0 && <Button onPress={onFinish}>{t("quiz.finish")}</Button>}
        {finished && online && (
          <Button variant="secondary" onPress={onRestart}>
            {t("quiz.again")}
          </Button>
        )}
      </div>
    </div>
  );
}
