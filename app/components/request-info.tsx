import { createContext, useContext } from "react";

/**
 * Per-request values the document needs: the CSP nonce for inline scripts,
 * the request id shown as an error reference, and whether the document answers
 * a form that was refused (its title then says so). The server provides them;
 * in the browser the nonce is no longer readable (browsers hide it) and not
 * needed, and the other two are read back from the document.
 */
export interface RequestInfo {
  nonce: string;
  requestId: string;
  formRefused: boolean;
}

const RequestInfoContext = createContext<RequestInfo>({ nonce: "", requestId: "", formRefused: false });

export const RequestInfoProvider = RequestInfoContext.Provider;

export function useRequestInfo(): RequestInfo {
  return useContext(RequestInfoContext);
}
