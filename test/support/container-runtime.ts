import { getContainerRuntimeClient } from 'testcontainers';

/**
 * Returns why testcontainers found no container runtime, or undefined when it found one. When it
 * found none, prints that `testFile` is skipped and how to run it, so the skip is never silent.
 */
export async function missingContainerRuntime(testFile: string): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }

  if (reason !== undefined) {
    console.log(`${testFile} skipped: testcontainers found no container runtime (${reason}). Start a Docker engine or set DOCKER_HOST to run it.`);
  }
  return reason;
}
