import { createContext, useContext } from "react";

/**
 * Per-request values the document needs: the CSP nonce for inline scripts and
 * the request id shown as an error reference. The server provides them; in the
 * browser the nonce is no longer readable (browsers hide it) and not needed.
 */
export interface RequestInfo {
  nonce: string;
  requestId: string;
}

const RequestInfoContext = createContext<RequestInfo>({ nonce: "", requestId: "" });

export const RequestInfoProvider = RequestInfoContext.Provider;

export function useRequestInfo(): RequestInfo {
  return useContext(RequestInfoContext);
}
