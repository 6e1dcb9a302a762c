import { lazy, Suspense, useEffect, useState } from "react";
import { useIntl } from "react-intl";
import { useParams } from "react-router";
import { api, ok } from "@/api/client";
import { useAuth } from "@/auth/session";
import { Notice } from "@/design/components";
import { playerFor } from "./kinds";
import type { Activity } from "./types";

const OfflineButton = lazy(() => import("@/offline/OfflineButton").then((m) => ({ default: m.OfflineButton })));

/** One activity, played by its kind's player. */
export function ActivityPage() {
  const { activityId } = useParams();
  const intl = useIntl();
  const { me } = useAuth();
  const [activity, setActivity] = useState<Activity | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const found = ok(await api.GET("/v1/activities/{activity_id}", { params: { path: { activity_id: Number(activityId) } } }));
        if (live) setActivity(found);
      } catch (error) {
        if (live) setProblem(error instanceof Error ? error.message : String(error));
      }
    })();
    return () => {
      live = false;
    };
  }, [activityId]);

  if (problem) return <Notice tone="danger">{intl.formatMessage({ id: "app.error" }, { detail: problem })}</Notice>;
  if (!activity) return <p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>;
  const Player = playerFor(activity);
  return (
    <article className="stack" aria-labelledby="activity-title">
      <h1 id="activity-title">{activity.title}</h1>
      {me && (
        <Suspense fallback={null}>
          <OfflineButton activity={activity} userId={me.id} />
        </Suspense>
      )}
      <Suspense fallback={<p aria-busy="true">{intl.formatMessage({ id: "app.loading" })}</p>}>
        <Player activity={activity} />
      </Suspense>
    </article>
  );
}
