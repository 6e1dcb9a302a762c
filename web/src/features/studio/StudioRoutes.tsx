import { lazy } from "react";
import { Route, Routes } from "react-router";
import { CourseList } from "./CourseList";
import { CourseBuilder } from "./CourseBuilder";
import "./studio.css";

// The node editor carries TipTap and the quiz preview: its own chunk, loaded when a node is opened.
const NodeEditor = lazy(() => import("./NodeEditor"));

/** Routes under /studio (mounted by App for people whose permissions open this console). */
export default function StudioRoutes() {
  return (
    <Routes>
      <Route index element={<CourseList />} />
      <Route path="courses/:courseId" element={<CourseBuilder />} />
      <Route path="courses/:courseId/:level/:nodeId" element={<NodeEditor />} />
    </Routes>
  );
}
