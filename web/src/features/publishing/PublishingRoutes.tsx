import { Route, Routes } from "react-router";
import CourseList from "./CourseList";
import CoursePublishing from "./CoursePublishing";
import "./publishing.css";

/** Routes under /publishing (mounted by App for people whose permissions open this console). */
export default function PublishingRoutes() {
  return (
    <Routes>
      <Route index element={<CourseList />} />
      <Route path="courses/:courseId" element={<CoursePublishing />} />
    </Routes>
  );
}
