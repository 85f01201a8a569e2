/**
 * Ports for the tests' isolated stacks, asked of the OS rather than fixed: a fixed port may already be held by
 * another run's stack, which `stack up` would then use as is (never its own to kill or restart).
 */
import * as net from 'node:net';

function listen(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * `count` different ports free right now (each bound to port 0, so the OS picks, and held until all are picked).
 * The first `pairs` of them have port + 1 free too: Kafka's controller listens next to its broker.
 */
export async function freePorts(count: number, pairs = 0): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = await listen(0);
      if (!server) throw new Error('the OS handed out no free port');
      held.push(server);
      const port = (server.address() as net.AddressInfo).port;
      if (ports.length < pairs) {
        const next = port < 65535 ? await listen(port + 1) : null;
        if (!next) continue;
        held.push(next);
      }
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
  return ports;
}

/**
 * The environment of a stack of its own: state in `stateDir`, every service on ports the OS picked, MySQL's
 * pipeline account logging in with `password`. `ports` lists every port the stack listens on.
 */
export async function isolatedStackEnv(
  stateDir: string,
  password = 'salesflow',
): Promise<{ env: Record<string, string>; ports: number[] }> {
  const [kafka, temporal, ui, mysql, cql, storage] = await freePorts(6, 1);
  return {
    env: {
      SALESFLOW_STATE: stateDir,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      TEMPORAL_UI_PORT: String(ui),
      KAFKA_BROKERS: `127.0.0.1:${kafka}`,
      MYSQL_URL: `mysql://salesflow:${encodeURIComponent(password)}@127.0.0.1:${mysql}/sales_data`,
      CASSANDRA_CONTACT_POINTS: `127.0.0.1:${cql}`,
      CASSANDRA_STORAGE_PORT: String(storage),
    },
    ports: [temporal, ui, kafka, kafka + 1, mysql, cql, storage],
  };
}
