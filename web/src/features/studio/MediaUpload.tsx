import { useState } from "react";
import { DropZone, FileTrigger, Text, isFileDropItem } from "react-aria-components";
import { Button, Notice, Progress } from "@/design/components";
import { UPLOAD_ACCEPT, UPLOAD_MAX_BYTES, uploadMedia, type Media } from "./upload";
import { useT } from "./useT";

interface Sending {
  name: string;
  fraction: number;
}

/**
 * Drop files here or pick them with the button: each goes to the course's media store with a progress
 * bar; the type and size are checked here first and by the server again (its problem is shown as is).
 */
export function MediaUpload({ courseId, accept = UPLOAD_ACCEPT, onUploaded }: { courseId: number; accept?: string[]; onUploaded: (media: Media) => void }) {
  const t = useT();
  const [sending, setSending] = useState<Sending | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const upload = async (files: File[]) => {
    setError(null);
    setDone(null);
    for (const file of files) {
      const suffix = file.name.slice(file.name.lastIndexOf(".")).toLowerCase();
      if (!accept.includes(suffix)) {
        setError(t("upload.type", { name: file.name, types: accept.join(", ") }));
        continue;
      }
      if (file.size > UPLOAD_MAX_BYTES) {
        setError(t("upload.size", { name: file.name, mb: Math.round(UPLOAD_MAX_BYTES / 1024 / 1024) }));
        continue;
      }
      setSending({ name: file.name, fraction: 0 });
      try {
        const media = await uploadMedia(courseId, file, (fraction) => setSending({ name: file.name, fraction }));
        setDone(t("upload.done", { name: file.name }));
        onUploaded(media);
      } catch (failure) {
        setError(failure instanceof Error && failure.message !== "network" ? failure.message : t("upload.network", { name: file.name }));
      }
    }
    setSending(null);
  };

  return (
    <div className="stack">
      <DropZone
        className="pw-studio__drop"
        aria-label={t("upload.zone")}
        getDropOperation={() => "copy"}
        onDrop={async (event) => {
          const files = await Promise.all(event.items.filter(isFileDropItem).map((item) => item.getFile()));
          void upload(files);
        }}
      >
        <Text slot="label">{t("upload.drop", { types: accept.join(", "), mb: Math.round(UPLOAD_MAX_BYTES / 1024 / 1024) })}</Text>
        <FileTrigger acceptedFileTypes={accept} allowsMultiple onSelect={(list) => list && void upload([...list])}>
          <Button variant="secondary">{t("upload.choose")}</Button>
        </FileTrigger>
      </DropZone>
      {sending && <Progress label={t("upload.sending", { name: sending.name })} value={sending.fraction} valueText={`${Math.round(sending.fraction * 100)} %`} />}
      {error && <Notice tone="danger">{error}</Notice>}
      {done && <Notice tone="success">{done}</Notice>}
    </div>
  );
}
