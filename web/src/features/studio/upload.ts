import { currentAccessToken, refreshSession, type Schemas } from "@/api/client";

export type Media = Schemas["MediaPublic"];

/** The studio's own limits, checked before sending so a person hears at once; the server checks again. */
export const UPLOAD_ACCEPT = [".png", ".jpg", ".jpeg", ".gif", ".webp", ".webm", ".mp4", ".pdf", ".ipynb"];
export const UPLOAD_MAX_BYTES = 50 * 1024 * 1024;

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function send(courseId: number, file: File, onProgress: (fraction: number) => void): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/v1/courses/${courseId}/media`);
    const token = currentAccessToken();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.responseType = "json";
    // fetch reports no upload progress; XMLHttpRequest's upload events do
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new UploadError("network", 0));
    const form = new FormData();
    form.append("file", file);
    xhr.send(form);
  });
}

/** Upload one file into the course's media store; one refresh-and-retry when the token has expired. */
export async function uploadMedia(courseId: number, file: File, onProgress: (fraction: number) => void): Promise<Media> {
  let result = await send(courseId, file, onProgress);
  if (result.status === 401 && (await refreshSession())) result = await send(courseId, file, onProgress);
  if (result.status !== 201) {
    const detail = (result.body as { detail?: unknown } | null)?.detail;
    throw new UploadError(typeof detail === "string" ? detail : `HTTP ${result.status}`, result.status);
  }
  onProgress(1);
  return result.body as Media;
}
