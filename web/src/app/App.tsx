import { BrowserRouter, Route, Routes } from "react-router";
import { useIntl } from "react-intl";
import { AuthProvider, useAuth } from "@/auth/session";
import { DisplayProvider } from "@/app/display";
import { ActivityPage } from "@/features/activity/ActivityPage";
import { HomePage } from "@/features/home/HomePage";
import { Shell } from "@/features/layout/Shell";
import { LoginPage } from "@/features/login/LoginPage";

function Pages() {
  const { status } = useAuth();
  const intl = useIntl();
  if (status === "checking") {
    return (
      <main id="main" className="pw-main" aria-busy="true">
        <p>{intl.formatMessage({ id: "app.loading" })}</p>
      </main>
    );
  }
  if (status === "signed-out") return <LoginPage />;
  return (
    <Shell>
      <Routes>
        <Route path="/" element={<HomePage />} />
        <Route path="/learn/:activityId" element={<ActivityPage />} />
        <Route path="*" element={<HomePage />} />
      </Routes>
    </Shell>
  );
}

export function App() {
  return (
    <DisplayProvider>
      <AuthProvider>
        <BrowserRouter>
          <Pages />
        </BrowserRouter>
      </AuthProvider>
    </DisplayProvider>
  );
}
