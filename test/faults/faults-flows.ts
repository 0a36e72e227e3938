import { fileURLToPath } from "node:url";

/** The flows module the fault suite's runner children load (test/fixtures/flows/faults-flows.ts). */
export const FAULTS_FLOWS = fileURLToPath(new URL("../fixtures/flows/faults-flows.ts", import.meta.url));
