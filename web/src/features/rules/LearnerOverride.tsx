import { useState } from "react";
import { useIntl } from "react-intl";
import { Link, useParams } from "react-router";
import { useAuth } from "@/auth/session";
import { Button, Card, Checkboxes, Field, Notice } from "@/design/components";
import { useLoad } from "@/lib/useLoad";
import { clearOverride, getOverride, setOverride, type Override } from "./api";
import { useMessages } from "@/lib/useMessages";

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** `/rules/learners/:learnerId`: the learner's manual override, which comes before every rule. */
export default function LearnerOverridePage() {
  const intl = useIntl();
  const t = useMessages("console.rules");
  const { learnerId } = useParams();
  const id = learnerId && /^\d+$/.test(learnerId) ? Number(learnerId) : null;
  const [current, reload] = useLoad(async () => (id ? getOverride(id) : null), [id]);
  if (id === null) return <Notice tone="danger">{t("badId")}</Notice>;
  return (
    <div className="stack">
      <p>
        <Link to="/rules">{t("back")}</Link>
      </p>
      <h1>{t("override.title", { id })}</h1>
      <p className="muted">{t("override.intro")}</p>
      {current.status === "loading" && (
        <p className="muted" aria-busy="true">
          {intl.formatMessage({ id: "app.loading" })}
        </p>
      )}
      {current.status === "error" && <Notice tone="warning">{current.error}</Notice>}
      {current.status === "ok" && (
        <OverrideForm key={current.data?.created_at ?? "none"} learnerId={id} current={current.data} onChanged={reload} />
      )}
    </div>
  );
}

function OverrideForm({
  learnerId,
  current,
  onChanged,
}: {
  learnerId: number;
  current: Override | null;
  onChanged: () => void;
}) {
  const intl = useIntl();
  const t = useMessages("console.rules");
  const { can } = useAuth();
  const mayWrite = can("rules:write");
  const [recommend, setRecommend] = useState((current?.recommend ?? []).join("\n"));
  const [block, setBlock] = useState((current?.block ?? []).join("\n"));
  const [replace, setReplace] = useState(current?.replace_model ?? false);
  const [note, setNote] = useState(current?.note ?? "");
  const [expires, setExpires] = useState(current?.expires_at?.slice(0, 16) ?? "");
  const [message, setMessage] = useState<{ tone: "success" | "danger"; text: string } | null>(null);

  async function save() {
    try {
      await setOverride(learnerId, {
        recommend: lines(recommend),
        block: lines(block),
        replace_model: replace,
        note,
        expires_at: expires ? new Date(expires).toISOString() : null,
      });
      onChanged();
    } catch (error) {
      setMessage({ tone: "danger", text: (error as Error).message });
    }
  }
  async function remove() {
    try {
      await clearOverride(learnerId);
      onChanged();
    } catch (error) {
      setMessage({ tone: "danger", text: (error as Error).message });
    }
  }

  return (
    <>
      <Card title={t("override.current")} headingLevel={2}>
        {current ? (
          <dl className="rules-facts">
            <dt>{t("override.recommend")}</dt>
            <dd>{current.recommend.join(", ") || t("override.nothing")}</dd>
            <dt>{t("override.block")}</dt>
            <dd>{current.block.join(", ") || t("override.nothing")}</dd>
            <dt>{t("override.replace")}</dt>
            <dd>{t(current.replace_model ? "override.yes" : "override.no")}</dd>
            <dt>{t("override.note")}</dt>
            <dd>{current.note || t("override.nothing")}</dd>
            <dt>{t("override.expires")}</dt>
            <dd>{current.expires_at ? intl.formatDate(current.expires_at, { dateStyle: "medium", timeStyle: "short" }) : t("override.never")}</dd>
          </dl>
        ) : (
          <p data-testid="no-override">{t("override.none")}</p>
        )}
      </Card>
      {mayWrite ? (
        <Card title={current ? t("override.change") : t("override.set")} headingLevel={2}>
          <div className="rules-form">
            <Field
              label={t("override.recommend")}
              description={t("override.recommendHelp")}
              multiline
              rows={3}
              value={recommend}
              onChange={setRecommend}
            />
            <Field
              label={t("override.block")}
              description={t("override.blockHelp")}
              multiline
              rows={3}
              value={block}
              onChange={setBlock}
            />
            <Checkboxes
              label={t("override.replace")}
              description={t("override.replaceHelp")}
              options={[{ id: "on", label: t("override.replaceOption") }]}
              value={replace ? ["on"] : []}
              onChange={(v) => setReplace(v.includes("on"))}
            />
            <Field label={t("override.note")} description={t("override.noteHelp")} value={note} onChange={setNote} />
            <Field
              label={t("override.expires")}
              description={t("override.expiresHelp")}
              type="datetime-local"
              value={expires}
              onChange={setExpires}
            />
          </div>
          <div className="row">
            <Button onPress={save}>{t("override.save")}</Button>
            {current && (
              <Button variant="danger" onPress={remove}>
                {t("override.remove")}
              </Button>
            )}
          </div>
        </Card>
      ) : (
        <Notice tone="info">{t("override.readOnly")}</Notice>
      )}
      <div aria-live="polite">{message && <Notice tone={message.tone}>{message.text}</Notice>}</div>
    </>
  );
}
