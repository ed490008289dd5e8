import type express from "express";

/**
 * An async Express handler whose failure reaches the error handler: Express 4
 * neither awaits a handler nor sees its rejected promise.
 */
export function asyncRoute<Req extends express.Request>(
  handler: (req: Req, res: express.Response, next: express.NextFunction) => Promise<unknown>,
): (req: Req, res: express.Response, next: express.NextFunction) => void {
  return (req, res, next) => {
    handler(req, res, next).catch(next);
  };
}
