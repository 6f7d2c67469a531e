import type Docker from 'dockerode';

/** The containers of the management stack that run now (ids, sorted): the same after a change that restarts nothing. */
export async function stackContainers(docker: Docker): Promise<string[]> {
  const list = await docker.listContainers({ filters: { label: ['com.docker.stack.namespace=minicloud'] } });
  return list.map((c) => c.Id).sort();
}
