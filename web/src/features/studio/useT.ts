import { useMessages } from "@/lib/useMessages";

/** The studio's messages by their short key (`console.studio.<key>`). */
export function useT() {
  return useMessages("console.studio");
}
