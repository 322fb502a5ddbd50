import type { PolicyDocument } from "./types.js";

/** AWS's default endpoint policy: everything, for everyone. */
export const FULL_ACCESS: PolicyDocument = {
  version: "2008-10-17",
  id: undefined,
  statements: [
    {
      index: 0,
      path: "Statement[0]",
      sid: undefined,
      effect: "Allow",
      principal: "*",
      notPrincipal: undefined,
      action: ["*"],
      notAction: undefined,
      resource: ["*"],
      notResource: undefined,
      conditions: [],
    },
  ],
};
