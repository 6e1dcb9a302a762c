import { lazy, Suspense } from "react";
import { BrowserRouter, Route, Routes } from "react-router";
import { useIntl } from "react-intl";
import { AuthProvider, useAuth } from "@/auth/session";
import { DisplayProvider } from "@/app/display";
import { ActivityPage } from "@/features/activity/ActivityPage";
import { HomePage } from "@/features/home/HomePage";
import { Shell } from "@/features/layout/Shell";
import { LoginPage } from "@/features/login/LoginPage";

const CoursePage = lazy(() => import("@/features/course/CoursePage"));
const guardian = () => import("@/features/guardian/GuardianPages");
const GuardianLearners = lazy(() => guardian().then((m) => ({ default: m.GuardianLearners })));
const GuardianLearner = lazy(() => guardian().then((m) => ({ default: m.GuardianLearner })));

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
      <Suspense fallback={<p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>}>
        <Routes>
          <Route path="/" element={<HomePage />} />
          <Route path="/learn/:activityId" element={<ActivityPage />} />
          <Route path="/courses/:courseId" element={<CoursePage />} />
          <Route path="/learners" element={<GuardianLearners />} />
          <Route path="/learners/:learnerId" element={<GuardianLearner />} />
          <Route path="*" element={<HomePage />} />
        </Routes>
      </Suspense>
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
