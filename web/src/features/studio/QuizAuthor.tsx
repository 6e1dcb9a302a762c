import { useState } from "react";
import { Checkbox, Form, Radio, RadioGroup, Label } from "react-aria-components";
import { api, ok, problemText, type Schemas } from "@/api/client";
import { Button, Field, Notice, Select } from "@/design/components";
import { ItemInput } from "@/features/activity/kinds/quiz/ItemInput";
import { initialDraft, type Draft } from "@/features/activity/kinds/quiz/logic";
import { useLoad } from "@/lib/useLoad";
import { asLearnerItem, build, emptyQuestion, lines, QUESTION_KINDS, type QuestionDraft, type QuestionKind } from "./questions";
import { useT } from "./useT";

type Activity = Schemas["ActivityPublic"];
type ItemPublic = Schemas["ItemPublic"];

/**
 * The questions of a lesson quiz: the ones it has, and a form for a new one of any bank kind with its
 * hints and per-distractor feedback, beside a live preview drawn by the learner quiz's own controls.
 * Each saved question joins the quiz's fixed item list (the quiz is created with the first one).
 */
export function QuizAuthor({ activity, onChanged }: { activity: Activity; onChanged: () => void }) {
  const t = useT();
  const assessmentId = activity.assessment_ids?.[0];
  const [items, reload] = useLoad<ItemPublic[]>(async () => {
    if (!assessmentId) return [];
    const assessment = ok(await api.GET("/v1/assessments/{assessment_id}", { params: { path: { assessment_id: assessmentId } } }));
    const ids = ((assessment.spec as { item_ids?: number[] }).item_ids ?? []).filter((id) => typeof id === "number");
    return Promise.all(ids.map(async (id) => ok(await api.GET("/v1/items/{item_id}", { params: { path: { item_id: id } } }))));
  }, [assessmentId]);
  const [question, setQuestion] = useState<QuestionDraft>(emptyQuestion());
  const [error, setError] = useState<string | null>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async () => {
    setBusy(true);
    setError(null);
    setSaid(null);
    const built = build(question);
    const created = await api.POST("/v1/items", {
      body: {
        external_id: `studio-${activity.id}-${Date.now().toString(36)}`,
        stem: question.stem,
        body: built.body,
        key: built.key,
        skill_id: activity.skill_ids[0] ?? null,
      },
    });
    if (created.error || !created.data) {
      setBusy(false);
      return setError(problemText(created.error, t("failed")));
    }
    const known = items.status === "ok" ? items.data.map((i) => i.id) : [];
    const itemIds = [...known, created.data.id];
    const linked = assessmentId
      ? await api.PATCH("/v1/assessments/{assessment_id}", { params: { path: { assessment_id: assessmentId } }, body: { item_ids: itemIds } })
      : await api.POST("/v1/courses/{course_id}/assessments", {
          params: { path: { course_id: activity.course_id } },
          body: { title: activity.title, kind: "formative", activity_id: activity.id, item_ids: itemIds, selection: "fixed", grade_policy: "highest" },
        });
    setBusy(false);
    if (linked.error) return setError(problemText(linked.error, t("failed")));
    setSaid(t("quiz.saved", { count: itemIds.length }));
    setQuestion(emptyQuestion(question.kind));
    if (assessmentId) reload();
    else onChanged();
  };

  return (
    <section aria-labelledby="studio-quiz" className="stack">
      <h2 id="studio-quiz">{t("quiz.title")}</h2>
      <div aria-busy={items.status === "loading"}>
        {items.status === "error" && <Notice tone="danger">{items.error}</Notice>}
        {items.status === "ok" && items.data.length === 0 && <p className="muted">{t("quiz.none")}</p>}
        {items.status === "ok" && items.data.length > 0 && (
          <ol className="pw-studio__questions">
            {items.data.map((item) => (
              <li key={item.id}>
                {item.stem} <span className="muted">· {t(`qkind.${item.kind}`)}</span>
              </li>
            ))}
          </ol>
        )}
      </div>
      <div className="pw-studio__split">
        <Form
          className="stack"
          aria-labelledby="studio-question"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <h3 id="studio-question">{t("quiz.new")}</h3>
          <Select
            label={t("quiz.kind")}
            value={question.kind}
            onChange={(kind: QuestionKind) => setQuestion({ ...question, kind })}
            options={QUESTION_KINDS.map((k) => ({ id: k, label: t(`qkind.${k}`) }))}
          />
          <Field label={t("quiz.stem")} multiline rows={2} value={question.stem} onChange={(stem) => setQuestion({ ...question, stem })} isRequired />
          <KindFields question={question} onChange={setQuestion} />
          <Field label={t("quiz.hints")} description={t("meta.onePerLine")} multiline rows={2} value={question.hints} onChange={(hints) => setQuestion({ ...question, hints })} />
          {error && <Notice tone="danger">{error}</Notice>}
          {said && <Notice tone="success">{said}</Notice>}
          <div className="row">
            <Button type="submit" isDisabled={busy}>
              {t("quiz.add")}
            </Button>
          </div>
        </Form>
        <Preview question={question} />
      </div>
    </section>
  );
}

/** The fields of the chosen kind: choices with feedback, a number, accepted texts, an order or pairs. */
function KindFields({ question, onChange }: { question: QuestionDraft; onChange: (q: QuestionDraft) => void }) {
  const t = useT();
  const set = (patch: Partial<QuestionDraft>) => onChange({ ...question, ...patch });
  switch (question.kind) {
    case "multiple_choice":
    case "multiple_response": {
      const single = question.kind === "multiple_choice";
      const setChoice = (index: number, patch: Partial<QuestionDraft["choices"][number]>) =>
        set({ choices: question.choices.map((c, i) => (i === index ? { ...c, ...patch } : single && patch.correct ? { ...c, correct: false } : c)) });
      const correctIndex = question.choices.findIndex((c) => c.correct);
      return (
        <fieldset className="pw-studio__fieldset stack">
          <legend>{t("quiz.choices")}</legend>
          {question.choices.map((choice, index) => (
            <div key={index} className="pw-studio__choice">
              <Field label={t("quiz.choice", { n: index + 1 })} value={choice.text} onChange={(text) => setChoice(index, { text })} />
              <Field label={t("quiz.feedback", { n: index + 1 })} description={t("quiz.feedbackHelp")} value={choice.feedback} onChange={(feedback) => setChoice(index, { feedback })} />
              {!single && (
                <Checkbox isSelected={choice.correct} onChange={(correct) => setChoice(index, { correct })} className="pw-choice">
                  <span aria-hidden="true" className="pw-choice__mark" />
                  {t("quiz.correctN", { n: index + 1 })}
                </Checkbox>
              )}
            </div>
          ))}
          {single && (
            <RadioGroup
              value={correctIndex < 0 ? null : String(correctIndex)}
              onChange={(value) => setChoice(Number(value), { correct: true })}
              className="pw-choices"
            >
              <Label className="pw-field__label">{t("quiz.correct")}</Label>
              {question.choices.map((choice, index) => (
                <Radio key={index} value={String(index)} className="pw-choice">
                  <span aria-hidden="true" className="pw-choice__mark pw-choice__mark--radio" />
                  {choice.text || t("quiz.choice", { n: index + 1 })}
                </Radio>
              ))}
            </RadioGroup>
          )}
          <div className="row">
            <Button variant="secondary" onPress={() => set({ choices: [...question.choices, { text: "", feedback: "", correct: false }] })}>
              {t("quiz.addChoice")}
            </Button>
            <Button variant="quiet" isDisabled={question.choices.length <= 2} onPress={() => set({ choices: question.choices.slice(0, -1) })}>
              {t("quiz.removeChoice")}
            </Button>
          </div>
        </fieldset>
      );
    }
    case "numeric":
      return (
        <div className="pw-studio__grid">
          <Field label={t("quiz.value")} inputMode="decimal" value={question.value} onChange={(value) => set({ value })} isRequired />
          <Field label={t("quiz.tolerance")} inputMode="decimal" value={question.tolerance} onChange={(tolerance) => set({ tolerance })} />
          <Field label={t("quiz.unit")} value={question.unit} onChange={(unit) => set({ unit })} />
        </div>
      );
    case "short_text":
      return (
        <>
          <Field label={t("quiz.accepted")} description={t("meta.onePerLine")} multiline rows={2} value={question.accepted} onChange={(accepted) => set({ accepted })} isRequired />
          <Field label={t("quiz.wrong")} description={t("quiz.wrongHelp")} multiline rows={2} value={question.wrong} onChange={(wrong) => set({ wrong })} />
        </>
      );
    case "ordering":
      return <Field label={t("quiz.items")} description={t("quiz.itemsHelp")} multiline rows={4} value={question.items} onChange={(items) => set({ items })} isRequired />;
    case "matching":
      return (
        <>
          <Field label={t("quiz.pairs")} description={t("quiz.pairsHelp")} multiline rows={3} value={question.pairs} onChange={(pairs) => set({ pairs })} isRequired />
          <Field label={t("quiz.distractors")} description={t("meta.onePerLine")} multiline rows={2} value={question.distractors} onChange={(distractors) => set({ distractors })} />
        </>
      );
  }
}

/** The question as the learner sees it, with the learner quiz's own controls; feedback and hints below. */
function Preview({ question }: { question: QuestionDraft }) {
  const t = useT();
  const item = asLearnerItem(question);
  const [draft, setDraft] = useState<Draft>({});
  const shape = JSON.stringify(item.options);
  const [seenShape, setSeenShape] = useState(shape);
  if (shape !== seenShape) {
    setSeenShape(shape);
    setDraft(initialDraft(item, "preview"));
  }
  const current = draft.order || draft.pairs || draft.choices ? draft : { ...initialDraft(item, "preview"), ...draft };
  const feedback = question.kind.startsWith("multiple") ? question.choices.filter((c) => c.text.trim() && c.feedback.trim()) : [];
  return (
    <section aria-labelledby="studio-preview" className="pw-studio__preview stack">
      <h3 id="studio-preview">{t("quiz.preview")}</h3>
      <p id="studio-preview-stem" className="pw-quiz__stem">
        {item.stem}
      </p>
      {question.kind === "numeric" && question.unit && <p className="muted">{question.unit}</p>}
      <ItemInput item={item} draft={current} onChange={setDraft} stemId="studio-preview-stem" disabled={false} />
      {feedback.length > 0 && (
        <dl className="pw-studio__feedback">
          {feedback.map((c) => (
            <div key={c.text}>
              <dt>{t("quiz.ifPicked", { choice: c.text })}</dt>
              <dd>{c.feedback}</dd>
            </div>
          ))}
        </dl>
      )}
      {lines(question.hints).length > 0 && (
        <>
          <h4>{t("quiz.hintsPreview")}</h4>
          <ol>
            {lines(question.hints).map((hint) => (
              <li key={hint}>{hint}</li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
