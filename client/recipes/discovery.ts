// Service discovery (Curator's ServiceDiscovery, simplified): each instance registers an
// ephemeral JSON node under `<base>/<service>/<id>`, so a crashed instance disappears by itself;
// clients list, pick or follow the instances of a service.

import { randomUUID } from 'node:crypto';
import type { Client } from '../client.js';
import { joinPath } from '../connect-string.js';
import { ErrorCode } from '../../protocol/errors.js';
import { Group, type Membership } from './group.js';
import { isCode } from './support.js';

export interface ServiceInstance {
  name: string;
  id: string;
  address: string;
  port: number;
  payload?: unknown;
  registeredAtMs: number;
}

export type Registration = Membership & { instance: ServiceInstance };

export type InstanceRegistration = Omit<ServiceInstance, 'id' | 'registeredAtMs'> & { id?: string };

export class ServiceDiscovery {
  constructor(
    private readonly client: Client,
    readonly basePath = '/services',
  ) {}

  /** Registers an instance for as long as this session lives (or until leave()). */
  async register(registration: InstanceRegistration): Promise<Registration> {
    const instance: ServiceInstance = {
      ...registration,
      id: registration.id ?? randomUUID(),
      registeredAtMs: Date.now(),
    };
    const group = new Group(this.client, joinPath(this.basePath, instance.name));
    const membership = await group.join(instance.id, JSON.stringify(instance));
    return Object.assign(membership, { instance });
  }

  /** Service names with at least a directory under the base path. */
  async names(): Promise<string[]> {
    try {
      return (await this.client.getChildren(this.basePath)).sort();
    } catch (error) {
      if (isCode(error, ErrorCode.noNode)) return [];
      throw error;
    }
  }

  async instances(name: string): Promise<ServiceInstance[]> {
    const directory = joinPath(this.basePath, name);
    const ids = await new Group(this.client, directory).members();
    const instances: ServiceInstance[] = [];
    for (const id of ids) {
      try {
        const { data } = await this.client.getData(joinPath(directory, id));
        instances.push(JSON.parse(String(data ?? '')) as ServiceInstance);
      } catch (error) {
        if (!isCode(error, ErrorCode.noNode)) throw error; // left between the two reads
      }
    }
    return instances;
  }

  /** One instance chosen at random, or null when none is registered. */
  async pick(name: string): Promise<ServiceInstance | null> {
    const instances = await this.instances(name);
    return instances[Math.floor(Math.random() * instances.length)] ?? null;
  }

  /** Calls `listener` with the instances now and after every change, until aborted. */
  follow(
    name: string,
    listener: (instances: ServiceInstance[]) => void, signal: AbortSignal,
  ): Promise<void> {
    const group = new Group(this.client, joinPath(this.basePath, name));
    return group.follow(() => {
      void this.instances(name).then(listener, () => undefined);
    }, signal);
  }
}
