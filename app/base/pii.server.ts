import { createHmac } from "node:crypto";
import { normalizeNationalId } from "~/domain/national-id";

/**
 * Keyed hash of a national ID: lets a verified member be matched to bills
 * issued to them without the portal ever storing the ID. Keyed (HMAC), not a
 * plain hash, because the space of IDs is small enough to enumerate.
 */
export function hashNationalId(nationalId: string, key: string): string {
  return createHmac("sha256", key).update(normalizeNationalId(nationalId)).digest("hex");
}
