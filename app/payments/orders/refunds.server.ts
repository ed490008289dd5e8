import { ProviderUnreachable } from "../providers/adapter.server";
import {
  adapterOf,
  findOrderByReference,
  orderForProvider,
  recordOrderEvent,
  type PaymentContext,
  type PaymentOrder,
} from "./order.server";
import { applyTransition } from "./transitions.server";

export type RefundResult =
  | { kind: "refunded"; order: PaymentOrder }
  | { kind: "not_refundable"; state: string }
  | { kind: "refundable_mismatch"; refundable: number }
  | { kind: "provider_refused"; payload: unknown }
  | { kind: "provider_unreachable" };

/**
 * A full refund, by an operator. The caller states the amount it saw as
 * refundable; if that is not what the portal holds (someone refunded it a
 * moment ago), nothing is sent to the provider: no double refunds.
 */
export async function refundPayment(
  ctx: PaymentContext,
  reference: string,
  input: { refundableAsSeen: number; operator: string },
  now = new Date(),
): Promise<RefundResult> {
  const order = await findOrderByReference(ctx.db, reference);
  if (!order || order.state !== "paid") return { kind: "not_refundable", state: order?.state ?? "not_found" };
  if (input.refundableAsSeen !== order.totalAmount) return { kind: "refundable_mismatch", refundable: order.totalAmount };
  let answer;
  try {
    answer = await adapterOf(ctx, order).refund(await orderForProvider(ctx.db, order), order.totalAmount);
  } catch (error) {
    if (error instanceof ProviderUnreachable) return { kind: "provider_unreachable" };
    throw error;
  }
  if (!answer.ok) {
    await recordOrderEvent(
      ctx,
      order,
      { kind: "provider_answer", source: "operator", payload: { refundRefused: answer.payload, operator: input.operator } },
      now,
    );
    return { kind: "provider_refused", payload: answer.payload };
  }
  const moved = await applyTransition(
    ctx,
    order.id,
    "refunded",
    { source: "operator", payload: { operator: input.operator, answer: answer.payload } },
    now,
  );
  return { kind: "refunded", order: moved.order };
}
