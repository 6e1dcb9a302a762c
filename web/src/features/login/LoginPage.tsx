import { useState, type FormEvent } from "react";
import { useIntl } from "react-intl";
import { Form } from "react-aria-components";
import { LoginError, useAuth } from "@/auth/session";
import { Button, Field, Notice } from "@/design/components";
import { DisplaySettings } from "@/features/settings/DisplaySettings";
import "./login.css";

/** The log-in form: the one page that is not behind a session. */
export function LoginPage() {
  const intl = useIntl();
  const { login } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const t = (id: string, values?: Record<string, string>) => intl.formatMessage({ id }, values);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await login(email, password);
    } catch (error) {
      if (error instanceof LoginError && error.kind === "mfa") setProblem(t("login.mfa"));
      else setProblem(t("login.failed", { detail: error instanceof Error ? error.message : String(error) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="pw-login">
      <div className="pw-login__card">
        <h1>{t("login.title")}</h1>
        {problem && <Notice tone="danger">{problem}</Notice>}
        <Form onSubmit={submit} className="stack">
          <Field label={t("login.email")} type="email" name="username" autoComplete="username" isRequired value={email} onChange={setEmail} />
          <Field
            label={t("login.password")}
            type="password"
            name="password"
            autoComplete="current-password"
            isRequired
            value={password}
            onChange={setPassword}
          />
          <Button type="submit" isDisabled={busy}>
            {t("login.submit")}
          </Button>
        </Form>
        <DisplaySettings />
      </div>
    </main>
  );
}
