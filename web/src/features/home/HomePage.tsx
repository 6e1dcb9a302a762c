import { lazy, Suspense } from "react";
import { useIntl } from "react-intl";
import { useAuth } from "@/auth/session";
import { areasFor, isLearner } from "@/features/staff/areas";
import { LearnerHome } from "./LearnerHome";

const GuardianLearners = lazy(() => import("@/features/guardian/GuardianPages").then((m) => ({ default: m.GuardianLearners })));
const StaffHome = lazy(() => import("@/features/staff/StaffHome"));

/**
 * `/` for whoever signed in: for staff the consoles their permissions open, a learner's own home, a
 * guardian's list of their learners. Who is who comes from the permissions /v1/auth/me lists: staff
 * hold a console's scope, learners submit attempts, guardians read linked learners.
 */
export function HomePage() {
  const intl = useIntl();
  const { me, can } = useAuth();
  if (!me) return null;
  const loading = <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  if (areasFor(can).length > 0) {
    return (
      <Suspense fallback={loading}>
        <StaffHome />
      </Suspense>
    );
  }
  if (isLearner(can)) {
    return <LearnerHome learnerId={me.id} title={intl.formatMessage({ id: "home.title" }, { name: me.display_name })} readOnly={false} />;
  }
  return (
    <Suspense fallback={loading}>{can("linked_learners:read") ? <GuardianLearners /> : <StaffHome />}</Suspense>
  );
}
