import { Route, Routes } from "react-router";
import LearnerOverridePage from "./LearnerOverride";
import RuleEditorPage from "./RuleEditor";
import RulesList from "./RulesList";
import "./rules.css";

/** Routes under /rules (mounted by App for people whose permissions open this console). */
export default function RulesRoutes() {
  return (
    <Routes>
      <Route index element={<RulesList />} />
      <Route path="new" element={<RuleEditorPage />} />
      <Route path="learners/:learnerId" element={<LearnerOverridePage />} />
      <Route path=":ruleId" element={<RuleEditorPage />} />
    </Routes>
  );
}
