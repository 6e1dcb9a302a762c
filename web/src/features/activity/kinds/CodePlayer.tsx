import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import { useIntl } from "react-intl";
import { Label, Switch, Text, TextArea, TextField } from "react-aria-components";
import { useAuth } from "@/auth/session";
import { Button, Notice } from "@/design/components";
import { markdownToSafeHtml } from "../content/richText";
import type { Activity } from "../types";
import {
  answer,
  awaitingGrade,
  finish,
  getSitting,
  latestSitting,
  openSitting,
  outcomeOf,
  pollUntil,
  type Item,
  type Sitting,
} from "../written";
import { OutcomeView } from "./Outcome";
import { ActivityText } from "./PagePlayer";
import "./players.css";

const INDENT = "    ";

/** Text of a string field of an item's display body (the author's starter code, the language). */
function bodyText(item: Item, ...names: string[]): string | null {
  for (const name of names) {
    const value = (item.body as Record<string, unknown>)[name];
    if (typeof value === "string" && value) return value;
  }
  return null;
}

/**
 * A code editor that stays a plain labelled text field: Tab moves focus on, as everywhere else, unless
 * the learner turns on "Tab key indents"; then Tab inserts spaces, Shift+Tab still moves back, and
 * Escape lets the next Tab leave the field, so the keyboard is never trapped.
 */
export function CodeEditor({
  label,
  value,
  onChange,
  isDisabled,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  isDisabled?: boolean;
}) {
  const intl = useIntl();
  const [tabIndents, setTabIndents] = useState(false);
  const escaped = useRef(false);
  const caret = useRef<number | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);

  useLayoutEffect(() => {
    if (caret.current !== null && area.current) {
      area.current.setSelectionRange(caret.current, caret.current);
      caret.current = null;
    }
  }, [value]);

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Escape") {
      escaped.current = true;
      return;
    }
    if (event.key !== "Tab" || !tabIndents || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey || escaped.current) {
      escaped.current = false;
      return;
    }
    event.preventDefault();
    const target = event.currentTarget;
    const start = target.selectionStart;
    const end = target.selectionEnd;
    caret.current = start + INDENT.length;
    onChange(value.slice(0, start) + INDENT + value.slice(end));
  };

  return (
    <div className="stack pw-code-editor">
      <Switch className="pw-switch" isSelected={tabIndents} onChange={setTabIndents} isDisabled={isDisabled}>
        <span className="pw-switch__track" aria-hidden="true">
          <span className="pw-switch__thumb" />
        </span>
        {intl.formatMessage({ id: "code.tabIndents" })}
      </Switch>
      <TextField className="pw-field" value={value} onChange={onChange} isDisabled={isDisabled}>
        <Label className="pw-field__label">{label}</Label>
        <TextArea
          ref={area}
          className="pw-field__input"
          rows={14}
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          onKeyDown={onKeyDown}
        />
        <Text slot="description" className="pw-field__description">
          {intl.formatMessage({ id: tabIndents ? "code.tabHelpOn" : "code.tabHelpOff" })}
        </Text>
      </TextField>
    </div>
  );
}

type Phase = "loading" | "missing" | "editing" | "submitting" | "grading" | "done";

/**
 * A code exercise graded by the sandbox: the learner writes a program, it is answered in the
 * activity's sitting, and the item's tests (visible and hidden) run in the background; the player
 * finishes the sitting and polls it until the score and the failed tests' lines are there.
 */
export default function CodePlayer({ activity }: { activity: Activity }) {
  const intl = useIntl();
  const { me } = useAuth();
  const [phase, setPhase] = useState<Phase>("loading");
  const [sitting, setSitting] = useState<Sitting | null>(null);
  const [item, setItem] = useState<Item | null>(null);
  const [source, setSource] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [assessmentId, setAssessmentId] = useState<number | null>(null);
  /** The program was written in this visit; a sitting finished earlier has no source to show (the API keeps it). */
  const [written, setWritten] = useState(false);
  const poller = useRef<AbortController | null>(null);

  const show = (found: Sitting) => {
    setSitting(found);
    const code = found.items.find((i) => i.kind === "code") ?? null;
    setItem(code);
    return code;
  };

  const watch = async (sittingId: number) => {
    poller.current?.abort();
    const controller = new AbortController();
    poller.current = controller;
    setPhase("grading");
    const graded = await pollUntil(() => getSitting(sittingId), (s) => !awaitingGrade(s), controller.signal);
    if (controller.signal.aborted) return;
    show(graded);
    setPhase("done");
  };

  useEffect(() => {
    if (!me) return;
    let live = true;
    (async () => {
      try {
        const found = activity.assessment_ids?.[0] ?? null;
        if (found === null) {
          if (live) setPhase("missing");
          return;
        }
        setAssessmentId(found);
        const last = await latestSitting(me.id, found);
        const current = last ?? (await openSitting(found));
        if (!live) return;
        const code = show(current);
        setSource((s) => s || (code && bodyText(code, "starter_code", "starter")) || "");
        if (current.status === "finished") {
          if (awaitingGrade(current)) void watch(current.id);
          else setPhase("done");
        } else setPhase("editing");
      } catch (error) {
        if (live) {
          setProblem(error instanceof Error ? error.message : String(error));
          setPhase("editing");
        }
      }
    })();
    return () => {
      live = false;
      poller.current?.abort();
    };
  }, [activity.id, activity.assessment_ids, me]);

  const submit = async () => {
    if (!sitting || !item) return;
    setProblem(null);
    setWritten(true);
    setPhase("submitting");
    try {
      const result = await answer(sitting.id, item.id, { source });
      if (result.next_item === null || result.next_item === undefined || result.next_item.id === item.id) {
        const finished = result.finished ? await getSitting(sitting.id) : await finish(sitting.id);
        show(finished);
        await watch(sitting.id);
      } else {
        setPhase("grading");
      }
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
      setPhase("editing");
    }
  };

  const again = async () => {
    if (assessmentId === null) return;
    setProblem(null);
    try {
      show(await openSitting(assessmentId));
      setPhase("editing");
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };

  if (phase === "loading") return <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  if (phase === "missing") {
    return (
      <div className="stack">
        <ActivityText activity={activity} />
        <Notice tone="warning">{intl.formatMessage({ id: "code.missing" })}</Notice>
      </div>
    );
  }
  const language = (item && bodyText(item, "language")) || "Python";
  const visibleTests = typeof item?.options?.visible_tests === "string" ? item.options.visible_tests : null;
  const outcome = sitting && item ? outcomeOf(sitting, item.id) : null;
  const busy = phase === "submitting" || phase === "grading";
  return (
    <div className="stack">
      <ActivityText activity={activity} />
      {item && <div className="pw-prose" dangerouslySetInnerHTML={{ __html: markdownToSafeHtml(item.stem, { topLevel: 3 }) }} />}
      {visibleTests && (
        <details>
          <summary>{intl.formatMessage({ id: "code.visibleTests" })}</summary>
          <pre>
            <code className={`language-${language.toLowerCase()}`}>{visibleTests}</code>
          </pre>
        </details>
      )}
      {(phase !== "done" || written) && (
        <CodeEditor
          label={intl.formatMessage({ id: "code.editor" }, { language })}
          value={source}
          onChange={setSource}
          isDisabled={busy || phase === "done"}
        />
      )}
      <div className="row">
        {phase !== "done" && (
          <Button onPress={() => void submit()} isDisabled={busy || !source.trim() || !item}>
            {intl.formatMessage({ id: "code.submit" })}
          </Button>
        )}
        {phase === "done" && sitting && (sitting.attempts_left ?? 1) > 0 && (
          <Button variant="secondary" onPress={() => void again()}>
            {intl.formatMessage({ id: "code.again" })}
          </Button>
        )}
      </div>
      <div aria-live="polite">
        {phase === "submitting" && <p>{intl.formatMessage({ id: "code.submitting" })}</p>}
        {phase === "grading" && <p aria-busy="true">{intl.formatMessage({ id: "code.grading" })}</p>}
      </div>
      {phase === "done" && <OutcomeView outcome={outcome} kind="code" />}
      {problem && <Notice tone="danger">{intl.formatMessage({ id: "app.error" }, { detail: problem })}</Notice>}
    </div>
  );
}
