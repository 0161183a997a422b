/** Asks a running daemon for its status and checks the answer against the schema. */
import { controlRequest } from "../control/control_client.ts";
import { type StatusDocument, statusDocumentProblems } from "../control/status_document.ts";

export async function fetchStatus(socketPath: string): Promise<StatusDocument> {
  const response = await controlRequest(socketPath, { command: "status" });
  if (!response.ok) throw new Error(`the daemon refused the status request: ${response.error}`);
  if (!("status" in response)) throw new Error("the daemon answered without a status");
  const problems = statusDocumentProblems(response.status);
  if (problems.length > 0) {
    throw new Error(
      `the daemon's status does not match this bond's (a different version?): ` +
        problems.slice(0, 3).join("; "),
    );
  }
  return response.status;
}
