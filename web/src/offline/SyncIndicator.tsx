import { useEffect, useRef, useState } from "react";
import { useIntl } from "react-intl";
import { Button, Dialog, Notice } from "@/design/components";
import { requestSync } from "./outbox";
import { dismissNotice, useSyncStatus } from "./status";
import "./offline.css";

/**
 * The banner's sync indicator: a quiet button that says how many changes wait (or when the device
 * last synced) and opens the details. Screen readers hear only the moments that matter, politely:
 * everything sent, and a change that needs the learner's attention; not every count change.
 */
export function SyncIndicator() {
  const intl = useIntl();
  const status = useSyncStatus();
  const [said, setSaid] = useState("");
  const before = useRef({ pending: status.pending, attention: status.attention.length });

  useEffect(() => {
    const was = before.current;
    if (was.pending > 0 && status.pending === 0 && !status.syncing) setSaid(intl.formatMessage({ id: "sync.allSent" }));
    else if (status.attention.length > was.attention) setSaid(intl.formatMessage({ id: "sync.needsAttention" }));
    before.current = { pending: status.pending, attention: status.attention.length };
  }, [status.pending, status.syncing, status.attention.length, intl]);

  const last =
    status.lastSyncedAt === null
      ? intl.formatMessage({ id: "sync.never" })
      : intl.formatMessage(
          { id: "sync.lastSynced" },
          { when: intl.formatDate(status.lastSyncedAt, { dateStyle: "medium", timeStyle: "short" }) },
        );
  const label = status.syncing
    ? intl.formatMessage({ id: "sync.syncing" })
    : status.pending > 0
      ? intl.formatMessage({ id: "sync.pending" }, { count: status.pending })
      : intl.formatMessage({ id: "sync.upToDate" });

  return (
    <>
      <Dialog
        trigger={
          <Button variant="quiet" className="pw-sync" data-pending={status.pending}>
            <span aria-hidden="true" className="pw-sync__dot" data-state={status.pending > 0 ? "pending" : "done"} />
            {label}
          </Button>
        }
        title={intl.formatMessage({ id: "sync.title" })}
        closeLabel={intl.formatMessage({ id: "settings.close" })}
      >
        <div className="stack">
          <p>{intl.formatMessage({ id: "sync.pendingLong" }, { count: status.pending })}</p>
          <p className="muted">{last}</p>
          {status.lastError && <p className="muted">{intl.formatMessage({ id: "sync.lastError" }, { detail: status.lastError })}</p>}
          <div className="row">
            <Button variant="secondary" onPress={requestSync} isDisabled={status.syncing || status.pending === 0}>
              {intl.formatMessage({ id: "sync.now" })}
            </Button>
          </div>
        </div>
      </Dialog>
      <span className="visually-hidden" role="status">
        {said}
      </span>
    </>
  );
}

/** Conflicts and rejected changes, shown under the banner until the learner dismisses them. */
export function SyncNotices() {
  const intl = useIntl();
  const { attention } = useSyncStatus();
  if (attention.length === 0) return null;
  return (
    <section className="pw-offline stack" aria-label={intl.formatMessage({ id: "sync.noticesLabel" })}>
      {attention.map((row) => (
        <Notice key={row.id} tone={row.outcome === "conflict" ? "warning" : "danger"}>
          <div className="row pw-sync__notice">
            <span>
              {row.outcome === "conflict"
                ? intl.formatMessage({ id: "sync.conflict" }, { type: intl.formatMessage({ id: `sync.type.${row.type}` }) })
                : intl.formatMessage(
                    { id: "sync.rejected" },
                    {
                      type: intl.formatMessage({ id: `sync.type.${row.type}` }),
                      detail: row.problem?.detail ?? row.problem?.title ?? "",
                    },
                  )}
            </span>
            <Button variant="secondary" onPress={() => void dismissNotice(row.id)}>
              {intl.formatMessage({ id: "sync.dismiss" })}
            </Button>
          </div>
        </Notice>
      ))}
    </section>
  );
}
