import { PAYMENT_TOOLS, type PaymentTool } from "~/domain/payment-tools";
import type { Env } from "~/base/env.server";
import type { PaymentProviderAdapter } from "./adapter.server";
import { ecpayAdapter } from "./ecpay.server";
import { linePayAdapter } from "./line-pay.server";

/**
 * The configured payment providers. Adding one is its adapter module and a
 * line below (and its name in PAYMENT_PROVIDERS, for the database's check).
 * A provider that is not configured is simply absent: its tools are not
 * offered, never routed through a provider that does not offer them.
 */
type ProviderEnv = Pick<
  Env,
  | "linePay"
  | "ecpay"
  | "PROVIDER_TIMEOUT_MS"
  | "ECPAY_ATM_EXPIRE_DAYS"
  | "ECPAY_STORE_CODE_EXPIRE_MINUTES"
  | "ECPAY_STORE_BARCODE_EXPIRE_DAYS"
>;

const ADAPTERS: Array<(env: ProviderEnv) => PaymentProviderAdapter | null> = [
  (env) => (env.linePay ? linePayAdapter(env.linePay, env.PROVIDER_TIMEOUT_MS) : null),
  (env) =>
    env.ecpay
      ? ecpayAdapter(env.ecpay, env.PROVIDER_TIMEOUT_MS, {
          atmDays: env.ECPAY_ATM_EXPIRE_DAYS,
          storeCodeMinutes: env.ECPAY_STORE_CODE_EXPIRE_MINUTES,
          storeBarcodeDays: env.ECPAY_STORE_BARCODE_EXPIRE_DAYS,
        })
      : null,
];

export type ToolRoute = { status: "live"; adapter: PaymentProviderAdapter } | { status: "coming" };

export class PaymentProviders {
  private readonly adapters: readonly PaymentProviderAdapter[];

  constructor(adapters: ReadonlyArray<PaymentProviderAdapter | null>) {
    this.adapters = adapters.filter((adapter): adapter is PaymentProviderAdapter => adapter !== null);
  }

  get(provider: string): PaymentProviderAdapter | undefined {
    return this.adapters.find((adapter) => adapter.provider === provider);
  }

  bySlug(slug: string): PaymentProviderAdapter | undefined {
    return this.adapters.find((adapter) => adapter.slug === slug);
  }

  /** Which provider carries a payment tool, if any is configured for it. */
  route(tool: PaymentTool): ToolRoute {
    const adapter = this.adapters.find((candidate) => candidate.tools.includes(tool));
    return adapter ? { status: "live", adapter } : { status: "coming" };
  }

  liveTools(): PaymentTool[] {
    return PAYMENT_TOOLS.filter((tool) => this.route(tool).status === "live");
  }

  /** Everywhere a payer's browser may be sent to pay. */
  payerOrigins(): string[] {
    return [...new Set(this.adapters.flatMap((adapter) => adapter.payerOrigins))];
  }
}

export function paymentProvidersFromEnv(env: ProviderEnv): PaymentProviders {
  return new PaymentProviders(ADAPTERS.map((adapter) => adapter(env)));
}
