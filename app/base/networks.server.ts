import { BlockList, isIP } from "node:net";

/**
 * Networks in CIDR notation, for the back office's allow-list.
 */
export interface Network {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

export function parseNetwork(text: string): Network | null {
  const [address, prefixText, ...rest] = text.trim().split("/");
  if (!address || rest.length > 0) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

export const formatNetwork = (network: Network) => `${network.address}/${network.prefix}`;

/** An IPv4 client seen through an IPv6 socket (::ffff:10.0.0.1) is the IPv4 address. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** Answers "is this client inside one of these networks?" (node's BlockList, used as an allow-list). */
export function networkMatcher(networks: readonly Network[]): (address: string) => boolean {
  const list = new BlockList();
  for (const network of networks) list.addSubnet(network.address, network.prefix, network.family);
  return (address) => {
    const normalized = normalizeAddress(address);
    const version = isIP(normalized);
    return version !== 0 && list.check(normalized, version === 4 ? "ipv4" : "ipv6");
  };
}
