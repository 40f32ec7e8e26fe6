import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { CredentialProxy } from "../../packages/core/src/proxy/credential-proxy.js";
import { StateManager } from "../../packages/core/src/state/index.js";
import { removeFleetContainers } from "../../packages/core/test/docker/runtime-image-fixture.js";
import { tempDir } from "../../packages/core/test/helpers/fleet.js";

export interface ProxyJob {
  tmp: ReturnType<typeof tempDir>;
  state: StateManager;
  proxy: CredentialProxy;
}

/**
 * Per test, for Docker jobs run through herdctl's credential proxy: a scratch folder, an open state
 * store in it and a fresh proxy; afterwards the proxy is closed, the store too, `fleet`'s
 * containers removed and the folder deleted. The fields are set before each test.
 */
export function proxyJobFixture(
  fleet: string,
  options?: ConstructorParameters<typeof CredentialProxy>[0],
): ProxyJob {
  const fx = {} as ProxyJob;
  beforeEach(() => {
    fx.tmp = tempDir();
    fx.state = new StateManager(join(fx.tmp.dir, ".herdctl"));
    fx.state.open();
    fx.proxy = new CredentialProxy(options);
  });
  afterEach(async () => {
    await fx.proxy.close();
    fx.state.close();
    await removeFleetContainers(fleet);
    fx.tmp.cleanup();
  });
  return fx;
}
