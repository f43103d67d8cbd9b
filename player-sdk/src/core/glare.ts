/**
 * Two peers that offer to each other at the same time ("glare") end up with two connections. Each end keeps
 * the first to open and closes the other, unless both agree which one to keep: the one offered by the peer
 * with the lower id. Without the rule each end can keep a different one and close the one the other kept,
 * leaving the pair with nothing.
 */
export function keepsConnection(selfId: string, peerId: string, offeredBySelf: boolean): boolean {
  return offeredBySelf ? selfId < peerId : peerId < selfId;
}
