import { useState, type FormEvent } from "react";
import { useIntl } from "react-intl";
import { Form } from "react-aria-components";
import { useNavigate } from "react-router";
import { LoginError, useAuth } from "@/auth/session";
import { Button, Field, Notice } from "@/design/components";
import { DisplaySettings } from "@/features/settings/DisplaySettings";
import "./login.css";

/** The server's shortest password (PASSWORD_MIN_LENGTH); it checks again and its answer is shown as is. */
const MIN_LENGTH = 10;

/** The invitation token from the link's fragment (`/invite#token=…`), which the browser never sends to a server. */
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  return token && token.trim() ? token.trim() : null;
}

/** `/invite`: an invited person chooses their first password and is signed in; a page without a session. */
export function InvitePage() {
  const intl = useIntl();
  const navigate = useNavigate();
  const { acceptInvitation } = useAuth();
  const [token] = useState(() => tokenFromHash(window.location.hash));
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const t = (id: string, values?: Record<string, string | number>) => intl.formatMessage({ id }, values);
  const tooShort = password.length > 0 && password.length < MIN_LENGTH;
  const mismatch = again.length > 0 && again !== password;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!token || tooShort || mismatch || password !== again) return;
    setBusy(true);
    setProblem(null);
    try {
      await acceptInvitation(token, password);
      window.history.replaceState(null, "", "/invite"); // the used token leaves the address bar and history
      navigate("/", { replace: true });
    } catch (error) {
      if (error instanceof LoginError && error.kind === "mfa") setProblem(t("login.mfa"));
      else setProblem(t("invite.failed", { detail: error instanceof Error ? error.message : String(error) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="pw-login">
      <div className="pw-login__card">
        <h1>{t("invite.title")}</h1>
        {!token ? (
          <Notice tone="warning">{t("invite.noToken")}</Notice>
        ) : (
          <>
            <p className="muted">{t("invite.intro")}</p>
            {problem && <Notice tone="danger">{problem}</Notice>}
            <Form onSubmit={submit} className="stack">
              <Field
                label={t("invite.password")}
                description={t("invite.passwordHelp", { min: MIN_LENGTH })}
                type="password"
                name="new-password"
                autoComplete="new-password"
                isRequired
                isInvalid={tooShort}
                errorMessage={tooShort ? t("invite.tooShort", { min: MIN_LENGTH }) : undefined}
                value={password}
                onChange={setPassword}
              />
              <Field
                label={t("invite.again")}
                type="password"
                name="confirm-password"
                autoComplete="new-password"
                isRequired
                isInvalid={mismatch}
                errorMessage={mismatch ? t("invite.mismatch") : undefined}
                value={again}
                onChange={setAgain}
              />
              <Button type="submit" isDisabled={busy}>
                {t("invite.submit")}
              </Button>
            </Form>
          </>
        )}
        <DisplaySettings />
      </div>
    </main>
  );
}
