// `corral/recipes`: coordination recipes on corral's client, each robust to connection loss
// (protected creates, retries only where safe) and reporting session loss to its user.

export { Lock, ReadWriteLock, Semaphore, Holding, type AcquireOptions } from './lock.js';
export { LeaderElection, LeaderLatch, type LeaderElectionOptions } from './leader.js';
export { Barrier, DoubleBarrier, type WaitOptions } from './barrier.js';
export { PriorityQueue, Queue, priorityMax, type TakeOptions } from './queue.js';
export { Group, Membership } from './group.js';
export { Counter } from './counter.js';
export { NodeCache, TreeCache, treeCacheNodesMax, type TreeCacheEvent } from './cache.js';
export {
  ServiceDiscovery,
  type InstanceRegistration,
  type ServiceInstance,
} from './discovery.js';
export { createProtected, ensurePath, onSessionLost } from './support.js';
