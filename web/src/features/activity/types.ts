import type { Schemas } from "@/api/client";

export type Activity = Schemas["ActivityPublic"];
