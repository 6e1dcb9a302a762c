import { lazy, Suspense } from "react";
import { BrowserRouter, Route, Routes, useLocation } from "react-router";
import { useIntl } from "react-intl";
import { AuthProvider, useAuth } from "@/auth/session";
import { DisplayProvider } from "@/app/display";
import { ActivityPage } from "@/features/activity/ActivityPage";
import { HomePage } from "@/features/home/HomePage";
import { Shell } from "@/features/layout/Shell";
import { InvitePage } from "@/features/login/InvitePage";
import { LoginPage } from "@/features/login/LoginPage";
import { AREAS, areasFor } from "@/features/staff/areas";
import { NoAccess } from "@/features/staff/NoAccess";

const CoursePage = lazy(() => import("@/features/course/CoursePage"));
const guardian = () => import("@/features/guardian/GuardianPages");
const GuardianLearners = lazy(() => guardian().then((m) => ({ default: m.GuardianLearners })));
const GuardianLearner = lazy(() => guardian().then((m) => ({ default: m.GuardianLearner })));
// Each staff console is its own lazy chunk with its own routes; learners never download them.
const CONSOLES = {
  studio: lazy(() => import("@/features/studio/StudioRoutes")),
  publishing: lazy(() => import("@/features/publishing/PublishingRoutes")),
  rules: lazy(() => import("@/features/rules/RulesRoutes")),
  review: lazy(() => import("@/features/review/ReviewRoutes")),
  admin: lazy(() => import("@/features/admin/AdminRoutes")),
  ml: lazy(() => import("@/features/ml/MlRoutes")),
};

function Pages() {
  const { status, can } = useAuth();
  const intl = useIntl();
  const { pathname } = useLocation();
  if (status === "checking") {
    return (
      <main id="main" className="pw-main" aria-busy="true">
        <p>{intl.formatMessage({ id: "app.loading" })}</p>
      </main>
    );
  }
  if (pathname === "/invite") return <InvitePage />; // an invitation signs its person in, whoever was before
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
          {AREAS.map((area) => {
            const Console = areasFor(can).includes(area) ? CONSOLES[area.key] : NoAccess;
            return <Route key={area.key} path={`${area.path}/*`} element={<Console />} />;
          })}
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
