import { useEffect, useState } from "react";
import { useIntl } from "react-intl";
import type { Schemas } from "@/api/client";
import { Button, Notice } from "@/design/components";
import { MEDIA_BUDGET_BYTES } from "./cacheRules";
import { makeAvailableOffline, offlineCopy, type OfflineCopy } from "./prefetch";
import { useOnline } from "@/lib/useOnline";

/** A byte count in the learner's locale: kB under a megabyte, MB above. */
export function formatBytes(intl: ReturnType<typeof useIntl>, bytes: number): string {
  const mega = bytes >= 1_000_000;
  return intl.formatNumber(mega ? bytes / 1_000_000 : Math.max(1, bytes / 1000), {
    style: "unit",
    unit: mega ? "megabyte" : "kilobyte",
    maximumFractionDigits: mega ? 1 : 0,
  });
}

/**
 * "Make available offline" for one activity: pre-fetches what it needs (./prefetch) and says how much
 * that took on the device, and whether some media did not fit the media budget.
 */
export function OfflineButton({ activity, userId }: { activity: Schemas["ActivityPublic"]; userId: number }) {
  const intl = useIntl();
  const [copy, setCopy] = useState<OfflineCopy | null>(null);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<string | null>(null);
  const online = useOnline();

  useEffect(() => {
    void offlineCopy(userId, activity.id).then((found) => setCopy(found ?? null));
  }, [userId, activity.id]);

  const save = async () => {
    setBusy(true);
    setFailed(null);
    try {
      setCopy(await makeAvailableOffline(userId, activity));
    } catch (error) {
      setFailed(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack pw-offline-copy">
      <div className="row">
        <Button variant="secondary" onPress={() => void save()} isDisabled={busy || !online}>
          {intl.formatMessage({ id: busy ? "offline.saving" : copy ? "offline.update" : "offline.make" })}
        </Button>
      </div>
      <div role="status">
        {copy && !busy && (
          <p className="muted">
            {intl.formatMessage(
              { id: "offline.saved" },
              { size: formatBytes(intl, copy.bytes), when: intl.formatDate(copy.at, { dateStyle: "medium", timeStyle: "short" }) },
            )}{" "}
            {copy.mediaSkipped > 0 &&
              intl.formatMessage(
                { id: "offline.mediaSkipped" },
                { count: copy.mediaSkipped, budget: formatBytes(intl, MEDIA_BUDGET_BYTES) },
              )}
          </p>
        )}
      </div>
      {failed && <Notice tone="danger">{intl.formatMessage({ id: "offline.failed" }, { detail: failed })}</Notice>}
    </div>
  );
}
