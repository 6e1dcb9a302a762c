import { Route, Routes } from "react-router";
import { GradeBookPage } from "./GradeBookPage";
import { AnswerPage, SubmissionPage } from "./ItemPage";
import { QueuePage } from "./QueuePage";
import "./review.css";

/** Routes under /review (mounted by App for people whose permissions open this console: `grades:write`). */
export default function ReviewRoutes() {
  return (
    <Routes>
      <Route index element={<QueuePage />} />
      <Route path="courses/:courseId" element={<QueuePage />} />
      <Route path="courses/:courseId/gradebook" element={<GradeBookPage />} />
      <Route path="courses/:courseId/submissions/:submissionId" element={<SubmissionPage />} />
      <Route path="courses/:courseId/sittings/:sittingId/answers/:attemptId" element={<AnswerPage />} />
    </Routes>
  );
}
