import { BlockList, isIP } from 'node:net';

/** Strips the IPv4-mapped IPv6 form (::ffff:10.0.0.1) that dual-stack sockets report. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function blockListOf(allowlist: readonly string[]): BlockList {
  const blocks = new BlockList();
  for (const cidr of allowlist) {
    const [network, bits] = cidr.split('/');
    const networkFamily = isIP(network);
    if (networkFamily === 0) continue;
    blocks.addSubnet(network, Number(bits ?? (networkFamily === 4 ? 32 : 128)), networkFamily === 4 ? 'ipv4' : 'ipv6');
  }
  return blocks;
}

// Building a BlockList costs more than the rest of a guard check; keys share few distinct lists.
const blockLists = new Map<string, BlockList>();
const MAX_BLOCK_LISTS = 10_000;

/** True when the allowlist is empty (any address) or `ip` falls in one of its CIDRs. */
export function ipAllowed(ip: string, allowlist: readonly string[]): boolean {
  if (allowlist.length === 0) return true;
  const address = normaliseIp(ip);
  const family = isIP(address);
  if (family === 0) return false;
  const cacheKey = allowlist.join(',');
  let blocks = blockLists.get(cacheKey);
  if (!blocks) {
    if (blockLists.size >= MAX_BLOCK_LISTS) blockLists.clear();
    blocks = blockListOf(allowlist);
    blockLists.set(cacheKey, blocks);
  }
  return blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
