import { useMemo } from "react";
import { contentToSafeHtml } from "../content/richText";
import type { Activity } from "../types";
import "./players.css";

/**
 * Rich text: the API's sanitized HTML or, where an activity was stored as written, Markdown. Either is
 * sanitized again here before it enters the page (content/richText.ts says what that removes).
 */
export default function PagePlayer({ activity }: { activity: Activity }) {
  const html = useMemo(() => contentToSafeHtml(activity.content ?? ""), [activity.content]);
  return <div className="pw-prose" dangerouslySetInnerHTML={{ __html: html }} />;
}

/** The activity's text above another player (a video's introduction, an exercise's instructions). */
export function ActivityText({ activity }: { activity: Activity }) {
  if (!activity.content?.trim()) return null;
  return <PagePlayer activity={activity} />;
}
