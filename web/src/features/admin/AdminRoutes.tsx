import { Navigate, Route, Routes } from "react-router";
import { useAuth } from "@/auth/session";
import { LrsPage } from "./LrsPage";
import { OnboardingPage } from "./OnboardingPage";
import { OrgUnitsPage } from "./OrgUnitsPage";
import { SchedulesPage } from "./SchedulesPage";
import { UserPage } from "./UserPage";
import { UsersPage } from "./UsersPage";

/** Routes under /admin (mounted by App for people whose permissions open this console); a section the
 * person may not use is not routed, so its link is neither shown nor reachable. */
export default function AdminRoutes() {
  const { can } = useAuth();
  return (
    <Routes>
      <Route index element={<OrgUnitsPage />} />
      {can("users:read") && <Route path="users" element={<UsersPage />} />}
      {can("users:read") && <Route path="users/:userId" element={<UserPage />} />}
      {can("users:write") && <Route path="onboarding" element={<OnboardingPage />} />}
      {can("lrs.credentials:write") && <Route path="lrs" element={<LrsPage />} />}
      {can("content:publish") && <Route path="schedules" element={<SchedulesPage />} />}
      <Route path="*" element={<Navigate to="/admin" replace />} />
    </Routes>
  );
}
